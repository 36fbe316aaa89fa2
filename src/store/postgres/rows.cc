#include "store/postgres/rows.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>

#include <nlohmann/json.hpp>

#include "store/public_ids.h"

namespace undersigned::store::pg {

// --- rows

Result<Campaign> CampaignFrom(const PgResult& r, int row) {
  Campaign c;
  c.id = r.Int(row, 0);
  c.uuid = r.Text(row, 1);
  c.slug = r.Text(row, 2);
  c.title = r.Text(row, 3);
  c.demand = r.Text(row, 4);
  c.letter_markdown = r.Text(row, 5);
  auto targets = ParseTargets(r.View(row, 6));
  if (!targets) return Fail(targets.error());
  c.targets = std::move(*targets);
  c.goal = r.Int(row, 7);
  c.deadline = r.OptInt(row, 8);
  c.status = ParseStatus(r.View(row, 9)).value_or(CampaignStatus::kDraft);
  c.language = r.Text(row, 10);
  c.created = r.Int(row, 11);
  c.modified = r.Int(row, 12);
  auto identifiers = ParseIdentifiers(r.View(row, 13));
  if (!identifiers) return Fail(identifiers.error());
  c.identifiers = std::move(*identifiers);
  c.threshold = r.OptInt(row, 14);
  auto organizers = ParseIdentifiers(r.View(row, 15));
  if (!organizers) return Fail(organizers.error());
  c.organizers = std::move(*organizers);
  c.outcome = ParseOutcome(r.View(row, 16)).value_or(CampaignOutcome::kPending);
  c.outcome_at = r.OptInt(row, 17);
  auto groups = ParseGroups(r.View(row, 18));
  if (!groups) return Fail(groups.error());
  c.groups = std::move(*groups);
  c.anonymity_floor = static_cast<int>(r.Int(row, 19));
  c.time_zone = r.Text(row, 20);
  c.description = r.Text(row, 21);
  c.organized_by = r.Text(row, 22);
  auto image = ParseImage(r.View(row, 23));
  if (!image) return Fail(image.error());
  c.image = std::move(*image);
  auto secondary = ParseSecondaryTargetsJson(r.View(row, 24));
  if (!secondary) return Fail(secondary.error());
  c.secondary_targets = std::move(*secondary);
  return c;
}

namespace {
SignatureState ParseState(std::string_view s) {
  if (s == "confirmed") return SignatureState::kConfirmed;
  if (s == "withdrawn") return SignatureState::kWithdrawn;
  if (s == "invalidated") return SignatureState::kInvalidated;
  return SignatureState::kPending;
}
}  // namespace

Signature SignatureFrom(const PgResult& r, int row) {
  Signature s;
  s.id = r.Int(row, 0);
  s.uuid = r.Text(row, 1);
  s.campaign_id = r.Int(row, 2);
  s.person_id = r.Int(row, 3);
  s.form.name = r.Text(row, 4);
  s.form.email = r.Text(row, 5);
  s.canonical_email = r.Text(row, 6);
  s.form.postal_code = r.Text(row, 7);
  s.form.country = r.Text(row, 8);
  s.form.comment = r.Text(row, 9);
  s.form.public_name = r.Bool(row, 10);
  s.form.wants_updates = r.Bool(row, 11);
  s.state = ParseState(r.View(row, 12));
  s.source = r.Text(row, 13);
  s.confirm_sends = static_cast<int>(r.Int(row, 14));
  s.created = r.Int(row, 15);
  s.modified = r.Int(row, 16);
  s.confirmed = r.OptInt(row, 17);
  s.person_uuid = r.Text(row, 18);
  s.form.group = r.Text(row, 19);
  s.form.protection = ParseProtection(r.View(row, 20)).value_or(Protection::kNone);
  s.form.seal_threshold = r.OptInt(row, 21).value_or(0);
  s.sealed = r.Bool(row, 22);
  s.verified = r.Bool(row, 23);
  s.attestation = r.Text(row, 24);
  // (After SignatureRow's columns: queries.h, US_SIGNATURE_COLS.)
  s.origin = {r.Text(row, 29), r.Text(row, 30), r.Text(row, 31),
              r.Text(row, 32), r.Text(row, 33), ""};  // referral: not read back (core/origin.h)
  return s;
}

SignatureRow SignatureRowFrom(const PgResult& r, int row) {
  SignatureRow out;
  out.signature = SignatureFrom(r, row);
  out.sealed = r.Bytes(row, 25);
  out.log_salt = r.Bytes(row, 26);
  if (auto i = r.OptInt(row, 27)) out.leaf_index = static_cast<std::uint64_t>(*i);
  out.verifies = r.Bool(row, 28);
  return out;
}

Person PersonFrom(const PgResult& r, int row) {
  Person p;
  p.id = r.Int(row, 0);
  p.uuid = r.Text(row, 1);
  p.given_name = r.Text(row, 2);
  p.family_name = r.Text(row, 3);
  p.email = r.Text(row, 4);
  p.canonical_email = r.Text(row, 5);
  p.postal_code = r.Text(row, 6);
  p.country = r.Text(row, 7);
  p.subscribed = r.Bool(row, 8);
  p.created = r.Int(row, 9);
  p.modified = r.Int(row, 10);
  return p;
}

Organization OrganizationFrom(const PgResult& r, int row) {
  Organization o;
  o.id = r.Int(row, 0);
  o.uuid = r.Text(row, 1);
  o.campaign_id = r.Int(row, 2);
  o.form.name = r.Text(row, 3);
  o.form.website = r.Text(row, 4);
  o.form.contact_email = r.Text(row, 5);
  o.canonical_email = r.Text(row, 6);
  o.form.statement = r.Text(row, 7);
  o.state = ParseOrganizationState(r.View(row, 8)).value_or(OrganizationState::kPending);
  o.has_logo = r.Bool(row, 9);
  o.created = r.Int(row, 10);
  o.modified = r.Int(row, 11);
  o.decided = r.OptInt(row, 12);
  return o;
}

OutboxMessage OutboxFrom(const PgResult& r, int row) {
  OutboxMessage m;
  m.id = r.Int(row, 0);
  m.kind = r.Text(row, 1);
  m.recipient = r.Text(row, 2);
  m.payload = r.Text(row, 3);
  m.attempts = static_cast<int>(r.Int(row, 4));
  m.next_attempt = r.Int(row, 5);
  m.created = r.Int(row, 6);
  m.last_error = r.Text(row, 7);
  return m;
}

CampaignCounts CountsFrom(const PgResult& r, int row, int first) {
  CampaignCounts c;
  c.pending = r.Int(row, first);
  c.confirmed = r.Int(row, first + 1);
  c.withdrawn = r.Int(row, first + 2);
  c.last_change = r.Int(row, first + 3);
  c.changes = r.Int(row, first + 4);
  c.groups = ParseGroupCounts(r.View(row, first + 5));
  return c;
}

Limits PageLimits(Page p) {
  std::int64_t per = std::clamp(p.per_page, 1, 1000);
  std::int64_t page = std::max(p.page, 1);
  return {per, (page - 1) * per};
}

}  // namespace undersigned::store::pg
