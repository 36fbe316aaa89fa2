#include "service/people.h"

#include <map>

#include "core/utf8.h"

namespace undersigned::service {

Result<Person> PeopleService::Signup(const std::string& email, PersonChange change) {
  const std::string address = Trim(email);
  if (address.empty() || address.size() > kMaxEmailBytes || !IsValidUtf8(address) ||
      !ValidEmail(address)) {
    return Fail(FieldErrors({{"email", "Enter an email address like name@example.org."}}));
  }
  if (auto ok = ValidatePersonChange(change); !ok) return Fail(ok.error());
  return store_.UpsertPerson(address, CanonicalEmail(address), change, clock_.Now());
}

Result<Person> PeopleService::Update(const std::string& uuid,
                                     const std::optional<std::string>& email, PersonChange change) {
  if (auto ok = ValidatePersonChange(change); !ok) return Fail(ok.error());
  auto person = store_.GetPersonByUuid(uuid);
  if (!person) return person;
  if (email && CanonicalEmail(Trim(*email)) != person->canonical_email) {
    return Fail(
        FieldErrors({{"email",
                      "A person's address cannot be changed: sign up the new address as a person "
                      "of its own (POST /api/v2/people)."}}));
  }
  return store_.UpdatePerson(uuid, change, clock_.Now());
}

Result<Person> PeopleService::Get(const std::string& uuid) { return store_.GetPersonByUuid(uuid); }

Result<Paged<Person>> PeopleService::List(const std::optional<std::string>& canonical_email,
                                          const TimeFilter& filter, Page page) {
  return store_.ListPeople(canonical_email, filter, page);
}

Result<std::string> PeopleService::UuidByCanonicalEmail(const std::string& canonical_email) {
  auto people = store_.ListPeople(canonical_email, TimeFilter{}, Page{1, 1});
  if (!people) return Fail(people.error());
  return people->items.empty() ? std::string() : people->items.front().uuid;
}

Result<Paged<Signature>> PeopleService::Signatures(std::int64_t person_id, const TimeFilter& filter,
                                                   Page page) {
  return store_.ListPersonSignatures(person_id, filter, page);
}

}  // namespace undersigned::service
