#include "http/networks.h"

#include "http/asio.h"  // first: Boost 1.74 + GCC 12 need <utility> before Asio

#include <algorithm>

namespace undersigned::http {
namespace {

// address as 16 bytes (IPv4 mapped into IPv6), and 96 added to an IPv4 prefix.
std::array<unsigned char, 16> Bytes(const net::ip::address& address) {
  if (address.is_v4()) {
    return net::ip::make_address_v6(net::ip::v4_mapped, address.to_v4()).to_bytes();
  }
  return address.to_v6().to_bytes();
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Networks> Networks::Parse(std::string_view list) {
  Networks out;
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string entry(TrimSpaces(list.substr(0, comma)));
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    if (entry.empty()) continue;
    boost::system::error_code ec;
    Network n;
    if (entry.find('/') == std::string::npos) {
      auto a = net::ip::make_address(entry, ec);
      if (!ec) {
        n.bytes = Bytes(a);
        n.prefix = 128;
      }
    } else if (entry.find(':') == std::string::npos) {
      auto v4 = net::ip::make_network_v4(entry, ec);
      if (!ec) {
        n.bytes = Bytes(v4.network());
        n.prefix = 96 + v4.prefix_length();
      }
    } else {
      auto v6 = net::ip::make_network_v6(entry, ec);
      if (!ec) {
        n.bytes = v6.network().to_bytes();
        n.prefix = v6.prefix_length();
      }
    }
    if (ec) {
      return Fail(Code::kInvalidArgument,
                  "'" + entry +
                      "' is not an IP network; write it as 10.0.0.0/8, ::1/128 or an "
                      "address alone");
    }
    out.networks_.push_back(n);
  }
  return out;
}

bool Networks::Contains(std::string_view address) const {
  boost::system::error_code ec;
  auto a = net::ip::make_address(std::string(address), ec);
  if (ec) return false;
  const auto bytes = Bytes(a);
  return std::any_of(networks_.begin(), networks_.end(), [&](const Network& n) {
    const int whole = n.prefix / 8;
    if (!std::equal(bytes.begin(), bytes.begin() + whole, n.bytes.begin())) return false;
    const int rest = n.prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (bytes[whole] & mask) == (n.bytes[whole] & mask);
  });
}

}  // namespace undersigned::http
