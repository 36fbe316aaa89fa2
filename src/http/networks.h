// Networks: a list of IP networks ("127.0.0.0/8, ::1/128, 10.1.2.3"), and whether an address
// is in one of them. Used to serve /metrics only to the operator's networks.
//
// Immutable once parsed; safe to share between threads.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace undersigned::http {

class Networks {
 public:
  // Entries separated by commas (spaces allowed): ADDRESS/PREFIX, or an address alone (/32 or
  // /128). An IPv4 network also matches IPv4-mapped IPv6 addresses. kInvalidArgument naming the
  // entry that does not parse. An empty list matches nothing.
  static Result<Networks> Parse(std::string_view list);

  // True if address (as Request::remote_address holds it) is in one of the networks; false for
  // text that is not an IP address.
  bool Contains(std::string_view address) const;

 private:
  struct Network {
    std::array<unsigned char, 16> bytes{};  // IPv6, IPv4 as IPv4-mapped
    int prefix = 0;                         // leading bits that must match
  };
  std::vector<Network> networks_;
};

}  // namespace undersigned::http
