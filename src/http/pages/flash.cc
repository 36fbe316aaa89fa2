#include "http/pages/flash.h"

#include <sodium.h>

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/beast/zlib/inflate_stream.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

#include "http/pages/origin.h"

namespace undersigned::http::pages {
namespace {

static_assert(crypto_secretbox_KEYBYTES == 32);
constexpr int kB64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// The plaintext's first byte: how the rest is encoded.
constexpr unsigned char kRaw = 'r';
constexpr unsigned char kDeflated = 'd';
// The serialized entry's first byte, so that a later layout can tell an earlier one apart.
constexpr unsigned char kVersion = 1;
// Entries shorter than this are not worth deflating (the "check your email" and a button's
// entries: the sign form's hot path seals one per signature).
constexpr std::size_t kDeflateFrom = 200;
// What an entry may inflate to: far more than a form's body (the sign form's is at most 16 KiB,
// any other 64 KiB); Seal shrinks an entry that would serialize to more.
constexpr std::size_t kMaxInflated = 128 * 1024;

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

// --- the binary form: bytes, unsigned LEB128 varints, strings as a varint length and bytes

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }

  unsigned char Byte() {
    if (pos_ >= in_.size()) return Bad();
    return static_cast<unsigned char>(in_[pos_++]);
  }
  std::uint64_t Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const unsigned char b = Byte();
      if (!ok_) return 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Bad();
  }
  std::string String() {
    const std::uint64_t n = Varint();
    if (!ok_ || n > in_.size() - pos_) return Bad(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  unsigned char Bad() {
    ok_ = false;
    return 0;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// The entry's booleans, in one byte.
constexpr unsigned kSent = 1;
constexpr unsigned kTokenDone = 2;
constexpr unsigned kChanged = 4;
constexpr unsigned kPublicName = 8;
constexpr unsigned kWantsUpdates = 16;
constexpr unsigned kAttested = 32;

std::string Serialize(const FlashEntry& e, UnixTime expires) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutVarint(out, ZigZag(expires));
  PutString(out, e.slug);
  const unsigned flags = (e.sent ? kSent : 0) | (e.token_done ? kTokenDone : 0) |
                         (e.changed ? kChanged : 0) | (e.typed.public_name ? kPublicName : 0) |
                         (e.typed.wants_updates ? kWantsUpdates : 0) |
                         (e.typed.attested ? kAttested : 0);
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(e.kind));
  PutString(out, e.email);
  PutString(out, e.work_group);
  PutString(out, e.organization);
  PutString(out, e.general_error);
  const SignatureForm& t = e.typed;
  for (const std::string* s :
       {&t.name, &t.email, &t.postal_code, &t.country, &t.comment, &t.group, &t.work_email}) {
    PutString(out, *s);
  }
  out.push_back(static_cast<char>(t.protection));
  PutVarint(out, ZigZag(t.seal_threshold));
  PutVarint(out, e.errors.size());
  for (const auto& [key, message] : e.errors) {
    PutString(out, key);
    PutString(out, message);
  }
  // Last and only when known (an entry without it reads as before).
  if (!e.origin.empty()) PutString(out, EncodeOriginField(e.origin));
  return out;
}

std::optional<FlashEntry> Deserialize(std::string_view in, UnixTime* expires) {
  Reader r(in);
  if (r.Byte() != kVersion) return std::nullopt;
  *expires = UnZigZag(r.Varint());
  FlashEntry e;
  e.slug = r.String();
  const unsigned flags = r.Byte();
  const unsigned kind = r.Byte();
  if (kind > static_cast<unsigned>(SignOutcome::Kind::kResendLimit)) {  // the last Kind
    return std::nullopt;
  }
  e.kind = static_cast<SignOutcome::Kind>(kind);
  e.sent = flags & kSent;
  e.token_done = flags & kTokenDone;
  e.changed = flags & kChanged;
  e.email = r.String();
  e.work_group = r.String();
  e.organization = r.String();
  e.general_error = r.String();
  SignatureForm& t = e.typed;
  t.public_name = flags & kPublicName;
  t.wants_updates = flags & kWantsUpdates;
  t.attested = flags & kAttested;
  for (std::string* s :
       {&t.name, &t.email, &t.postal_code, &t.country, &t.comment, &t.group, &t.work_email}) {
    *s = r.String();
  }
  const unsigned protection = r.Byte();
  if (protection > static_cast<unsigned>(Protection::kAnonymous)) return std::nullopt;
  t.protection = static_cast<Protection>(protection);
  t.seal_threshold = UnZigZag(r.Varint());
  const std::uint64_t n = r.Varint();
  for (std::uint64_t i = 0; r.ok() && i < n; ++i) {
    std::string key = r.String();
    e.errors[std::move(key)] = r.String();
  }
  if (r.ok() && !r.done()) e.origin = DecodeOriginField(r.String());
  if (!r.done()) return std::nullopt;
  return e;
}

// --- raw deflate (Boost.Beast's header-only zlib), for the entries that carry a comment

std::optional<std::string> Deflate(std::string_view in) {
  namespace zlib = boost::beast::zlib;
  zlib::deflate_stream ds;
  ds.reset(9, 15, 8, zlib::Strategy::normal);
  std::string out(ds.upper_bound(in.size()) + 16, '\0');
  zlib::z_params zs;
  zs.next_in = in.data();
  zs.avail_in = in.size();
  zs.next_out = out.data();
  zs.avail_out = out.size();
  boost::system::error_code ec;
  ds.write(zs, zlib::Flush::finish, ec);
  if ((ec && ec != zlib::error::end_of_stream) || zs.avail_in != 0) return std::nullopt;
  out.resize(zs.total_out);
  return out;
}

std::optional<std::string> Inflate(std::string_view in) {
  namespace zlib = boost::beast::zlib;
  // Beast's inflate reads ahead: when the last block ends in the last bytes it stops with
  // need_buffers instead of end_of_stream, though it has written everything. A few bytes of
  // slack after the stream let it see the end (they are never part of the output; what is
  // inflated was authenticated, and Deserialize checks that it is exactly one entry).
  std::string padded(in);
  padded.append(8, '\0');
  zlib::inflate_stream is;
  is.reset(15);
  std::string out(kMaxInflated, '\0');
  zlib::z_params zs;
  zs.next_in = padded.data();
  zs.avail_in = padded.size();
  zs.next_out = out.data();
  zs.avail_out = out.size();
  boost::system::error_code ec;
  is.write(zs, zlib::Flush::sync, ec);
  if (ec != zlib::error::end_of_stream) return std::nullopt;
  out.resize(zs.total_out);
  return out;
}

// message, after what is already said about key.
void AddError(std::map<std::string, std::string>& errors, const std::string& key,
              const std::string& message) {
  std::string& e = errors[key];
  e = e.empty() ? message : e + " " + message;
}

}  // namespace

FlashStore::FlashStore(std::string_view secret, std::int64_t ttl_seconds)
    : ttl_seconds_(ttl_seconds) {
  EnsureSodium();
  if (secret.empty()) {
    crypto_secretbox_keygen(key_.data());
    return;
  }
  // A key of its own, whatever the secret's length: BLAKE2b-256 of a label and the secret.
  // sizeof: with its NUL, which separates it from the secret.
  static constexpr char kLabel[] = "undersigned flash cookie key v1";
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, key_.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                            secret.size());
  crypto_generichash_final(&st, key_.data(), key_.size());
}

std::string FlashStore::SealBytes(const std::string& serialized) const {
  std::string plain;
  if (serialized.size() >= kDeflateFrom) {
    auto deflated = Deflate(serialized);
    if (deflated && deflated->size() < serialized.size()) {
      plain.reserve(deflated->size() + 1);
      plain.push_back(static_cast<char>(kDeflated));
      plain += *deflated;
    }
  }
  if (plain.empty()) {
    plain.reserve(serialized.size() + 1);
    plain.push_back(static_cast<char>(kRaw));
    plain += serialized;
  }
  std::vector<unsigned char> box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 plain.size());
  unsigned char* nonce = box.data();
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), nonce,
                        key_.data());
  std::string out(sodium_base64_encoded_len(box.size(), kB64Variant), '\0');
  sodium_bin2base64(out.data(), out.size(), box.data(), box.size(), kB64Variant);
  out.resize(out.size() - 1);  // the NUL
  return out;
}

std::string FlashStore::Seal(FlashEntry e, UnixTime now) const {
  const UnixTime expires = now + ttl_seconds_;
  std::string sealed;
  // Seals e into `sealed`; whether that fits a cookie (and Open's bound once inflated).
  auto fits = [&] {
    const std::string serialized = Serialize(e, expires);
    sealed = SealBytes(serialized);
    return sealed.size() <= kMaxCookieValueBytes && serialized.size() <= kMaxInflated;
  };
  if (fits()) return sealed;
  // Too big for a cookie: the comment goes first (the form says to type it again)...
  if (!e.typed.comment.empty()) {
    e.typed.comment.clear();
    AddError(e.errors, "comment", kCommentDropped);
    if (fits()) return sealed;
  }
  // ... then everything typed (only fields typed far past their limits get here), keeping the
  // choices the form shows, and what is wrong with each field...
  SignatureForm kept;
  kept.public_name = e.typed.public_name;
  kept.wants_updates = e.typed.wants_updates;
  kept.attested = e.typed.attested;
  kept.protection = e.typed.protection;
  kept.seal_threshold = e.typed.seal_threshold;
  if (e.typed.group.size() <= 64) kept.group = e.typed.group;
  e.typed = std::move(kept);
  e.general_error = e.general_error.empty() ? kTypedDropped : e.general_error + " " + kTypedDropped;
  if (fits()) return sealed;
  // ... and last, all but the scope and what happened (a browser drops a cookie too big for it:
  // the page then has no flash).
  FlashEntry minimal;
  minimal.slug = std::move(e.slug);
  minimal.general_error = kTypedDropped;
  minimal.sent = e.sent;
  minimal.kind = e.kind;
  minimal.token_done = e.token_done;
  minimal.changed = e.changed;
  return SealBytes(Serialize(minimal, expires));
}

std::optional<FlashEntry> FlashStore::Open(std::string_view value, std::string_view scope,
                                           UnixTime now) const {
  // Longer than Seal ever writes (with room for a cookie a browser let through): not ours.
  if (value.empty() || value.size() > 2 * kMaxCookieValueBytes) return std::nullopt;
  std::vector<unsigned char> box(value.size());
  std::size_t n = 0;
  if (sodium_base642bin(box.data(), box.size(), value.data(), value.size(), nullptr, &n, nullptr,
                        kB64Variant) != 0 ||
      n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 1) {
    return std::nullopt;
  }
  std::string plain(n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 box.data() + crypto_secretbox_NONCEBYTES,
                                 n - crypto_secretbox_NONCEBYTES, box.data(), key_.data()) != 0) {
    return std::nullopt;
  }
  std::optional<std::string> inflated;
  std::string_view serialized = std::string_view(plain).substr(1);
  if (static_cast<unsigned char>(plain[0]) == kDeflated) {
    inflated = Inflate(serialized);
    if (!inflated) return std::nullopt;
    serialized = *inflated;
  } else if (static_cast<unsigned char>(plain[0]) != kRaw) {
    return std::nullopt;
  }
  UnixTime expires = 0;
  auto e = Deserialize(serialized, &expires);
  if (!e || e->slug != scope || expires <= now) return std::nullopt;
  return e;
}

std::string FlashStore::CookieValue(std::string_view value, std::string_view path,
                                    bool secure) const {
  std::string v = std::string(kFlashCookie) + "=" + std::string(value) +
                  "; Path=" + std::string(path) + "; Max-Age=" + std::to_string(ttl_seconds_) +
                  "; HttpOnly; SameSite=Lax";
  if (secure) v += "; Secure";
  return v;
}

}  // namespace undersigned::http::pages
