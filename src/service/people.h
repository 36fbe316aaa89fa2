// PeopleService: the changes an API client makes to people (the OSDI person signup helper and
// PUT /api/v2/people/{id}), and the reads of people and their signatures that the API (and any
// other surface: the CLI, the console) makes. People are otherwise made by signing
// (SigningService).
//
// Thread-safe. Holds references to the Store and the Clock (owned by app::App).
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/signature.h"
#include "store/store.h"

namespace undersigned::service {

class PeopleService {
 public:
  PeopleService(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // The person with this email (matched by canonical email, as signing matches them), made if
  // there is none, with change applied. kInvalidArgument with field_errors ("email",
  // "given_name", ...) for a missing or bad address or a bad field.
  Result<Person> Signup(const std::string& email, PersonChange change);
  // Applies change to the person with this uuid. email, if given, must be the person's own
  // address (by canonical email): an address names who someone is, and signatures hang on it,
  // so it is never changed through the API (kInvalidArgument, field "email"). kNotFound.
  Result<Person> Update(const std::string& uuid, const std::optional<std::string>& email,
                        PersonChange change);

  // --- reads
  // The person with this uuid; kNotFound.
  Result<Person> Get(const std::string& uuid);
  // People, newest first; canonical_email (core::CanonicalEmail): only the one with it.
  Result<Paged<Person>> List(const std::optional<std::string>& canonical_email,
                             const TimeFilter& filter, Page page);
  // The uuid of the person with this canonical email, "" if there is none.
  Result<std::string> UuidByCanonicalEmail(const std::string& canonical_email);
  // A person's signatures in every campaign, newest first, leaving out sealed and anonymous
  // ones: nothing ties those to their signer.
  Result<Paged<Signature>> Signatures(std::int64_t person_id, const TimeFilter& filter, Page page);

 private:
  Store& store_;
  const Clock& clock_;
};

}  // namespace undersigned::service
