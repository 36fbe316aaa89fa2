// Reading the payment provider's objects as a verified webhook event carries them (a Checkout
// Session, a SetupIntent, a PaymentIntent: payments/webhook.h), for the services that act on
// them (fundraising.cc, pledges.cc). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace undersigned::service {

// The string member `key` of o, or "" if it is missing or not a string.
std::string TextOf(const nlohmann::json& o, const char* key);

// Our own id that we put in the object's metadata under `key` ("donation_id", "pledge_id"), if
// it carries one: 1 to 18 decimal digits, nothing else.
std::optional<std::int64_t> MetadataIdOf(const nlohmann::json& object, const char* key);

}  // namespace undersigned::service
