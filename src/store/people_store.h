// PeopleStore: People (one per canonical email) for the API, and edits outside signing.
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

class PeopleStore {
 public:
  virtual ~PeopleStore() = default;

  virtual Result<Paged<Person>> ListPeople(const std::optional<std::string>& canonical_email,
                                           const TimeFilter& filter, Page page) = 0;
  virtual Result<Person> GetPersonByUuid(const std::string& uuid) = 0;
  // The person with this canonical email, made if there is none (email as typed, the fields of
  // change, empty for the others), with change applied and modified moved to now otherwise.
  virtual Result<Person> UpsertPerson(const std::string& email, const std::string& canonical_email,
                                      const PersonChange& change, UnixTime now) = 0;
  // Applies change to the person with this uuid and moves its modified date. kNotFound for an
  // unknown uuid (as GetPersonByUuid).
  virtual Result<Person> UpdatePerson(const std::string& uuid, const PersonChange& change,
                                      UnixTime now) = 0;
  // A person's signatures in every campaign, newest first, leaving out sealed and anonymous
  // ones (protection other than none): the API never ties those to their signer. Each
  // campaign's (campaign_id, person_id) index serves it; no index of its own.
  virtual Result<Paged<Signature>> ListPersonSignatures(std::int64_t person_id,
                                                        const TimeFilter& filter, Page page) = 0;
  // Replaces a signature's comment and moves its modified date. kNotFound.
  virtual Result<Signature> SetSignatureComment(const std::string& uuid, const std::string& comment,
                                                UnixTime now) = 0;
};

}  // namespace undersigned
