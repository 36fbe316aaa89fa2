// Signing (tx::Sign, tx::SignAsync): one signature per campaign and canonical email. The work
// that needs no database (splitting the name, sealing, a trusted signature's log leaf) is done
// by PrepareSign before queueing, off the writer thread; SignTx decides the rest in the
// transaction (rules.h's DecideSign says which case it is).
#include <memory>
#include <utility>

#include "core/group.h"
#include "core/rate_limiter.h"
#include "service/tx/mails.h"
#include "service/tx/rules.h"
#include "service/tx/scripts.h"
#include "service/tx/steps.h"
#include "store/random.h"
#include "store/sealed_fields.h"
#include "store/write.h"

namespace undersigned::tx {
namespace {

using store::SignatureRow;
using store::WriteTx;

// The signature fields a (re)signing writes, from s and its preparation.
void FillFromForm(Signature& sig, const NewSignature& s, const SignPrep& p) {
  sig.form = p.Stored(s);
  sig.form.work_email.clear();  // as stored: never
  sig.sealed = !p.sealed.empty() && s.form.protection == Protection::kSealed;
  sig.attestation = s.attestation;
  sig.canonical_email = s.canonical_email;
  sig.source = s.source;
  sig.modified = s.now;
}

// The end of a fresh signing (a new row, or one over a withdrawn signature: withdrawn = -1):
// counts at once (leaf, group, threshold) or queues the confirmation mail.
Result<void> CountOrMail(WriteTx& tx, const NewSignature& s, const Campaign& campaign,
                         const CampaignCounts& before, SignatureRow& row, int withdrawn,
                         SignOutcome& out, const PreparedLeaf* prepared) {
  store::CountsDelta d;
  d.now = s.now;
  d.day_only = DayRounded(row.signature);
  d.withdrawn = withdrawn;
  if (s.confirm_now) {
    if (auto r = AppendSignatureLeaf(tx, campaign, row, row.signature.form.group,
                                     log::LeafEvent::kConfirm, s.now, prepared);
        !r) {
      return r;
    }
    CountGroup(campaign, before, row.signature.form.group, 1, d);
    auto decided = MaybeSucceed(tx, s.campaign_id, before.confirmed + 1, s.now);
    if (!decided) return Fail(decided.error());
    out.campaign_decided = *decided;
    d.confirmed = 1;
  } else {
    auto mail = SigningMail(s, row.signature.uuid, /*with_confirm=*/true);
    if (!mail) return Fail(mail.error());
    if (auto r = tx.QueueMail(*mail); !r) return r;
    d.pending = 1;
  }
  tx.MoveCounts(s.campaign_id, d);
  out.kind = SignOutcome::Kind::kCreated;
  auto counts = tx.Counts(s.campaign_id);
  if (!counts) return Fail(counts.error());
  out.counts = std::move(*counts);
  return {};
}

}  // namespace

SignPrep PrepareSign(const NewSignature& s, const store::FieldSealer& sealer) {
  auto [given, family] = SplitName(s.form.name);
  SignPrep p;
  p.given = std::move(given);
  p.family = std::move(family);
  // Sealed: every personal field only in the sealed blob. Anonymous: no name was kept at all
  // (ValidateSignatureForm); an address for updates is sealed the same way.
  if (s.form.protection == Protection::kSealed ||
      (s.form.protection == Protection::kAnonymous && !s.form.email.empty())) {
    p.sealed = sealer.Seal(s.form);
    SignatureForm& f = p.sealed_form.emplace(s.form);
    f.email.clear();
    if (s.form.protection == Protection::kSealed) {
      f.name.clear();
      f.postal_code.clear();
      f.country.clear();
      f.comment.clear();
    }
  }
  if (s.form.protection != Protection::kNone) p.given.clear(), p.family.clear();
  // (form.work_email is never kept: the work address is not stored.)
  if (s.confirm_now) {
    PreparedLeaf& l = p.leaf;
    l.salt.assign(log::kSaltBytes, '\0');
    store::RandomBytes(l.salt.data(), l.salt.size());
    if (!s.campaign_uuid.empty() && !s.text_hash.empty()) {
      l.text = s.text_hash;
      l.entry = LeafEntry(s.campaign_uuid, log::LeafEvent::kConfirm, s.form.group, s.now,
                          s.text_hash, l.salt, s.canonical_email);
      l.hash = log::LeafHash(l.entry);
    }
  }
  return p;
}

Result<SignOutcome> SignTx(WriteTx& tx, const NewSignature& s, const SignPrep& p) {
  const SignatureForm& f = p.Stored(s);
  store::SignerPerson signer{
      s.canonical_email,    f.email, p.given, p.family, f.postal_code, f.country,
      s.form.wants_updates, s.now,   {}};
  // The per-email limit first: refused, nothing is written (and the batch goes on).
  if (s.email_limit) {
    auto bucket = tx.SignerBucket(s.canonical_email);
    if (!bucket) return Fail(bucket.error());
    const TokenTake take = TakeToken(*s.email_limit, *bucket, static_cast<double>(s.now));
    if (!take.allowed) {
      SignOutcome refused;
      refused.rate_limited_seconds = take.wait_seconds;
      return refused;
    }
    signer.bucket = take.after;
  }
  // Person first: the signature references it.
  auto person = tx.UpsertSigner(signer);
  if (!person) return Fail(person.error());
  auto campaign_ptr = tx.CampaignById(s.campaign_id);
  if (!campaign_ptr) return Fail(campaign_ptr.error());
  const Campaign& campaign = **campaign_ptr;  // stays valid for the transaction
  auto counts = tx.Counts(s.campaign_id);
  if (!counts) return Fail(counts.error());
  const CampaignCounts before = *counts;

  const SignatureState fresh_state =
      s.confirm_now ? SignatureState::kConfirmed : SignatureState::kPending;
  const int fresh_sends = s.confirm_now ? 0 : 1;
  const std::optional<UnixTime> fresh_confirmed =
      s.confirm_now ? std::optional<UnixTime>(s.now) : std::nullopt;
  SignOutcome out;

  {
    SignatureRow row;
    Signature& sig = row.signature;
    FillFromForm(sig, s, p);
    sig.origin = s.origin;  // where a new signature came from (kept as first recorded)
    sig.campaign_id = s.campaign_id;
    sig.person_id = person->id;
    sig.person_uuid = person->uuid;
    sig.state = fresh_state;
    sig.confirm_sends = fresh_sends;
    sig.created = s.now;
    sig.confirmed = fresh_confirmed;
    row.sealed = p.sealed;
    row.verifies = s.by_domain;
    row.client_net = s.client_net;
    // A signature that counts at once gets its log salt and leaf index in this insert (its
    // leaf is the next one appended, in CountOrMail), which saves writing the row again.
    const bool leaf_now = s.confirm_now && tx.log_enabled();
    if (leaf_now) {
      row.log_salt = p.leaf.salt;
      row.leaf_index = tx.NextLeafIndex();
    }
    auto inserted = tx.InsertSignature(row);
    if (!inserted) return Fail(inserted.error());
    if (*inserted) {
      SignatureRow& r = **inserted;
      // A signature that counts at once is mailed nothing, so it has no token to keep.
      if (!s.confirm_now) {
        if (auto t = tx.AddToken(r.signature.id, s.token_hash, store::TokenKind::kSigning); !t) {
          return Fail(t.error());
        }
      }
      if (auto c = CountOrMail(tx, s, campaign, before, r, 0, out, leaf_now ? &p.leaf : nullptr);
          !c) {
        return Fail(c.error());
      }
      out.signature = std::move(r.signature);
      return out;
    }
  }

  // One exists for this campaign and person (= canonical email).
  auto existing = tx.SignatureOf(s.campaign_id, person->id);
  if (!existing) return Fail(existing.error());
  SignatureRow& row = *existing;
  Signature& sig = row.signature;
  const SignatureState was = sig.state;
  switch (DecideSign(was, sig.confirm_sends, s.confirm_now, s.max_confirm_sends)) {
    case SignAction::kCreate:
      return Fail(Code::kInternal, "signing: a signature exists and does not");
    case SignAction::kResign: {
      // Signing again after withdrawing: a fresh signing on the same row. A new token (unless
      // it counts at once: then nothing is mailed); the earlier ones stay valid too (an old
      // confirmation mail's links confirm and withdraw this fresh signing, an old
      // withdraw-only link withdraws it).
      FillFromForm(sig, s, p);
      sig.person_id = person->id;
      sig.person_uuid = person->uuid;
      sig.verified = false;
      sig.state = fresh_state;
      sig.confirm_sends = fresh_sends;
      sig.confirmed = fresh_confirmed;
      row.sealed = p.sealed;
      row.verifies = s.by_domain;
      if (!s.confirm_now) {
        if (auto t = tx.AddToken(sig.id, s.token_hash, store::TokenKind::kSigning); !t) {
          return Fail(t.error());
        }
      }
      if (auto c = CountOrMail(tx, s, campaign, before, row, -1, out, nullptr); !c) {
        return Fail(c.error());
      }
      if (auto w = tx.SaveSignature(row); !w) return Fail(w.error());
      out.signature = std::move(sig);
      return out;
    }
    case SignAction::kRecordConfirm:
    case SignAction::kRecordAgain: {
      // A trusted client records the signature: it counts now; nothing is mailed. Never a
      // verified group (the service sends those through the work address); its protection
      // and sealed fields stay as they were.
      const std::string old_group = sig.form.group;
      const Protection protection = sig.form.protection;
      const std::int64_t seal_threshold = sig.form.seal_threshold;
      const bool sealed = sig.sealed;
      FillFromForm(sig, s, p);
      sig.form.protection = protection;
      sig.form.seal_threshold = seal_threshold;
      sig.sealed = sealed;
      sig.person_id = person->id;
      sig.person_uuid = person->uuid;
      sig.state = SignatureState::kConfirmed;
      if (!sig.confirmed) sig.confirmed = s.now;
      store::CountsDelta d;
      d.now = s.now;
      d.day_only = DayRounded(sig);
      if (was == SignatureState::kPending) {
        if (auto r = AppendSignatureLeaf(tx, campaign, row, sig.form.group,
                                         log::LeafEvent::kConfirm, s.now);
            !r) {
          return Fail(r.error());
        }
        CountGroup(campaign, before, sig.form.group, 1, d);
        auto decided = MaybeSucceed(tx, s.campaign_id, before.confirmed + 1, s.now);
        if (!decided) return Fail(decided.error());
        out.campaign_decided = *decided;
        d.pending = -1;
        d.confirmed = 1;
      } else if (KeyOrPublic(old_group) != KeyOrPublic(sig.form.group)) {
        // Re-recorded into another group: it moves between the groups' counts, and the log
        // says so (a withdrawal from the old group, a confirmation into the new one), so that
        // every group's count still adds up from the leaves.
        if (auto r =
                AppendSignatureLeaf(tx, campaign, row, old_group, log::LeafEvent::kWithdraw, s.now);
            !r) {
          return Fail(r.error());
        }
        if (auto r = AppendSignatureLeaf(tx, campaign, row, sig.form.group,
                                         log::LeafEvent::kConfirm, s.now);
            !r) {
          return Fail(r.error());
        }
        CountGroup(campaign, before, old_group, -1, d);
        CountGroup(campaign, before, sig.form.group, 1, d);
      }
      if (auto w = tx.SaveSignature(row); !w) return Fail(w.error());
      if (d.pending != 0 || d.confirmed != 0 || !d.groups.empty()) tx.MoveCounts(s.campaign_id, d);
      out.kind = SignOutcome::Kind::kAlreadyConfirmed;
      auto now_counts = tx.Counts(s.campaign_id);
      if (!now_counts) return Fail(now_counts.error());
      out.counts = std::move(*now_counts);
      out.signature = std::move(sig);
      return out;
    }
    case SignAction::kResendLimit:
      // Nothing to write, not even the person's modified date; but an attempt under the
      // per-email limit took its token, which the person's row keeps (so that a flood of
      // attempts is refused before it reaches the writer, rather than rolled back here).
      if (!s.email_limit) tx.Discard();
      out.kind = SignOutcome::Kind::kResendLimit;
      out.counts = before;
      out.signature = std::move(sig);
      return out;
    case SignAction::kResend:
    case SignAction::kAlreadySigned: {
      // The new token is added, the earlier ones stay valid: a mail that arrives late still
      // works. Confirmed: the "already signed" mail carries only a withdraw link, so its token
      // is kept withdraw-only: it cannot confirm (nor fetch a receipt).
      const bool pending = was == SignatureState::kPending;
      sig.confirm_sends += 1;
      sig.modified = s.now;
      if (auto w = tx.SaveSignature(row); !w) return Fail(w.error());
      if (auto t = tx.AddToken(sig.id, s.token_hash,
                               pending ? store::TokenKind::kSigning : store::TokenKind::kWithdraw);
          !t) {
        return Fail(t.error());
      }
      auto mail = SigningMail(s, sig.uuid, /*with_confirm=*/pending);
      if (!mail) return Fail(mail.error());
      if (auto q = tx.QueueMail(*mail); !q) return Fail(q.error());
      out.kind = pending ? SignOutcome::Kind::kResent : SignOutcome::Kind::kAlreadyConfirmed;
      out.counts = before;
      out.signature = std::move(sig);
      return out;
    }
  }
  return Fail(Code::kInternal, "signing: unknown case");
}

Result<SignOutcome> Sign(Store& store, const NewSignature& s) {
  const SignPrep prep = PrepareSign(s, store.sealer());
  return store::RunWrite<SignOutcome>(store,
                                      [&](store::WriteTx& tx) { return SignTx(tx, s, prep); });
}

void SignAsync(Store& store, NewSignature s, std::function<void(Result<SignOutcome>)> done) {
  auto prep = std::make_shared<const SignPrep>(PrepareSign(s, store.sealer()));
  store::RunWriteAsync<SignOutcome>(
      store,
      [s = std::move(s), prep = std::move(prep)](store::WriteTx& tx) {
        return SignTx(tx, s, *prep);
      },
      std::move(done));
}

}  // namespace undersigned::tx
