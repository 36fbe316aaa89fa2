#include "log/note.h"

#include <sodium.h>

#include <charconv>
#include <cstring>
#include <optional>

#include "core/utf8.h"
#include "log/encoding.h"

namespace undersigned::log {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // U+2014 EM DASH, U+0020
constexpr std::string_view kPrivatePrefix = "PRIVATE+KEY+";

tl::unexpected<Error> Malformed(std::string why) {
  return Fail(Code::kInvalidArgument, "malformed signed note: " + std::move(why));
}

// Decodes the code point at s[i] (s is valid UTF-8) and advances i.
char32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (int k = 1; k < len && i + k < s.size(); ++k) cp = cp << 6 | (s[i + k] & 0x3F);
  i += len;
  return cp;
}

// Unicode White_Space (what Go's unicode.IsSpace accepts), which key names must not contain.
bool IsUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Key names: non-empty UTF-8 without Unicode spaces or '+'.
bool IsValidKeyName(std::string_view name) {
  if (name.empty() || !IsValidUtf8(name)) return false;
  for (size_t i = 0; i < name.size();) {
    const char32_t c = NextCodePoint(name, i);
    if (c == U'+' || c < 0x20 || IsUnicodeSpace(c)) return false;
  }
  return true;
}

// Valid note text: UTF-8, no control characters but '\n', ends with '\n', bounded lines.
Result<void> CheckNoteText(std::string_view text, std::string_view what) {
  if (text.empty() || text.back() != '\n') {
    return Malformed(std::string(what) + " must end with a newline");
  }
  if (!IsValidUtf8(text)) return Malformed(std::string(what) + " is not valid UTF-8");
  size_t line = 0;
  for (char c : text) {
    if (c == '\n') {
      line = 0;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      return Malformed(std::string(what) + " contains a control character");
    }
    if (++line > kMaxNoteLineBytes) return Malformed(std::string(what) + " has a too long line");
  }
  return {};
}

std::array<uint8_t, 4> BigEndian(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

std::string KeyIdHex(uint32_t id) { return HexEncode(BigEndian(id)); }

// Parses exactly 8 hex digits.
std::optional<uint32_t> ParseKeyIdHex(std::string_view hex) {
  if (hex.size() != 8) return std::nullopt;
  auto bytes = HexDecode(hex);
  if (!bytes) return std::nullopt;
  return uint32_t{(*bytes)[0]} << 24 | uint32_t{(*bytes)[1]} << 16 | uint32_t{(*bytes)[2]} << 8 |
         uint32_t{(*bytes)[3]};
}

// Splits "<name>+<key id>+<key data>" at its first two '+'. Names cannot contain '+', but the
// base64 key data can, so it is everything after the second '+'.
std::optional<std::array<std::string_view, 3>> SplitKey(std::string_view s) {
  const size_t a = s.find('+');
  if (a == std::string_view::npos) return std::nullopt;
  const size_t b = s.find('+', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  return std::array<std::string_view, 3>{s.substr(0, a), s.substr(a + 1, b - a - 1),
                                         s.substr(b + 1)};
}

// Decodes base64(0x01 || 32 bytes).
std::optional<std::array<uint8_t, 32>> DecodeEd25519KeyData(std::string_view b64) {
  auto data = Base64Decode(b64);
  if (!data || data->size() != 33 || (*data)[0] != kSignatureTypeEd25519) return std::nullopt;
  std::array<uint8_t, 32> out;
  std::memcpy(out.data(), data->data() + 1, 32);
  return out;
}

std::string EncodeEd25519KeyData(const uint8_t* key32) {
  uint8_t buf[33];
  buf[0] = kSignatureTypeEd25519;
  std::memcpy(buf + 1, key32, 32);
  std::string out = Base64Encode(std::span<const uint8_t>(buf, sizeof buf));
  sodium_memzero(buf, sizeof buf);
  return out;
}

// Canonical decimal uint64: "0" or [1-9][0-9]*, no overflow.
std::optional<uint64_t> ParseCanonicalUint(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<SignedNote> ParseSignedNote(std::string_view note) {
  if (note.size() > kMaxNoteBytes) return Malformed("larger than " + std::to_string(kMaxNoteBytes));
  if (auto ok = CheckNoteText(note, "note"); !ok) return Fail(ok.error());
  // The text ends at the last blank line; what follows are the signature lines.
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return Malformed("no blank line before the signatures");
  SignedNote out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty()) return Malformed("no signature lines");
  while (!sigs.empty()) {
    const size_t nl = sigs.find('\n');  // present: the note ends with '\n'
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (line.substr(0, kEmDashSpace.size()) != kEmDashSpace) {
      return Malformed("a signature line must start with an em dash and a space");
    }
    line.remove_prefix(kEmDashSpace.size());
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return Malformed("a signature line has no signature");
    std::string_view name = line.substr(0, space);
    std::string_view b64 = line.substr(space + 1);
    if (!IsValidKeyName(name)) return Malformed("invalid key name in a signature line");
    auto sig = Base64Decode(b64);  // rejects spaces, so "name  sig" and "sig " fail here
    if (!sig) return Malformed("signature is not canonical base64");
    if (sig->size() < 5) return Malformed("signature is too short");
    if (out.signatures.size() == kMaxNoteSignatures) return Malformed("too many signatures");
    NoteSignature s;
    s.name = std::string(name);
    s.key_id = uint32_t{(*sig)[0]} << 24 | uint32_t{(*sig)[1]} << 16 | uint32_t{(*sig)[2]} << 8 |
               uint32_t{(*sig)[3]};
    s.signature.assign(sig->begin() + 4, sig->end());
    out.signatures.push_back(std::move(s));
  }
  return out;
}

uint32_t Ed25519KeyId(std::string_view name, const std::array<uint8_t, 32>& public_key) {
  EnsureSodium();
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const uint8_t*>(name.data()), name.size());
  const uint8_t sep[2] = {0x0A, kSignatureTypeEd25519};
  crypto_hash_sha256_update(&st, sep, 2);
  crypto_hash_sha256_update(&st, public_key.data(), public_key.size());
  uint8_t digest[32];
  crypto_hash_sha256_final(&st, digest);
  return uint32_t{digest[0]} << 24 | uint32_t{digest[1]} << 16 | uint32_t{digest[2]} << 8 |
         uint32_t{digest[3]};
}

Result<NoteVerifier> ParseVerifierKey(std::string_view vkey) {
  auto bad = [](std::string why) {
    return Fail(Code::kInvalidArgument, "invalid verifier key: " + std::move(why));
  };
  auto parts = SplitKey(vkey);
  if (!parts) return bad("want <name>+<key id>+<key>");
  NoteVerifier v;
  if (!IsValidKeyName((*parts)[0])) return bad("invalid key name");
  v.name = std::string((*parts)[0]);
  auto id = ParseKeyIdHex((*parts)[1]);
  if (!id) return bad("key id must be 8 hex digits");
  auto key = DecodeEd25519KeyData((*parts)[2]);
  if (!key) return bad("key must be base64 of 0x01 and a 32-byte Ed25519 public key");
  v.public_key = *key;
  v.key_id = Ed25519KeyId(v.name, v.public_key);
  if (v.key_id != *id) return bad("key id does not match the name and key");
  return v;
}

std::string FormatVerifierKey(const NoteVerifier& v) {
  return v.name + "+" + KeyIdHex(v.key_id) + "+" + EncodeEd25519KeyData(v.public_key.data());
}

Result<std::string> VerifyNote(std::string_view note, const NoteVerifier& verifier) {
  auto parsed = ParseSignedNote(note);
  if (!parsed) return Fail(parsed.error());
  bool verified = false;
  for (const NoteSignature& s : parsed->signatures) {
    // Unknown keys (name or id differs) are ignored, as the spec requires.
    if (s.name != verifier.name || s.key_id != verifier.key_id) continue;
    if (s.signature.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(s.signature.data(),
                                    reinterpret_cast<const uint8_t*>(parsed->text.data()),
                                    parsed->text.size(), verifier.public_key.data()) != 0) {
      return Fail(Code::kUnauthenticated,
                  "signature by " + verifier.name + " does not verify: note rejected");
    }
    verified = true;
  }
  if (!verified) {
    return Fail(Code::kUnauthenticated,
                "note has no signature by " + verifier.name + "+" + KeyIdHex(verifier.key_id));
  }
  return std::move(parsed->text);
}

Result<GeneratedKey> GenerateNoteKey(std::string_view name) {
  EnsureSodium();
  if (!IsValidKeyName(name)) {
    return Fail(Code::kInvalidArgument, "key name must be non-empty, without spaces or '+'");
  }
  std::array<uint8_t, 32> pk;
  std::array<uint8_t, 64> sk;
  crypto_sign_keypair(pk.data(), sk.data());
  const uint32_t id = Ed25519KeyId(name, pk);
  GeneratedKey out;
  // libsodium's secret key is seed || public key; the serialised form holds the seed only.
  out.private_key = std::string(kPrivatePrefix) + std::string(name) + "+" + KeyIdHex(id) + "+" +
                    EncodeEd25519KeyData(sk.data());
  sodium_memzero(sk.data(), sk.size());
  out.verifier_key = FormatVerifierKey(NoteVerifier{std::string(name), id, pk});
  return out;
}

Result<NoteSigner> NoteSigner::FromPrivateKey(std::string_view private_key) {
  EnsureSodium();
  auto bad = [](std::string why) {
    return Fail(Code::kInvalidArgument, "invalid private key: " + std::move(why));
  };
  if (private_key.substr(0, kPrivatePrefix.size()) != kPrivatePrefix) {
    return bad("must start with PRIVATE+KEY+");
  }
  auto parts = SplitKey(private_key.substr(kPrivatePrefix.size()));
  if (!parts) return bad("want PRIVATE+KEY+<name>+<key id>+<key>");
  if (!IsValidKeyName((*parts)[0])) return bad("invalid key name");
  auto id = ParseKeyIdHex((*parts)[1]);
  if (!id) return bad("key id must be 8 hex digits");
  auto seed = DecodeEd25519KeyData((*parts)[2]);
  if (!seed) return bad("key must be base64 of 0x01 and a 32-byte Ed25519 seed");
  NoteSigner s;
  s.name_ = std::string((*parts)[0]);
  crypto_sign_seed_keypair(s.public_key_.data(), s.secret_key_.data(), seed->data());
  sodium_memzero(seed->data(), seed->size());
  s.key_id_ = Ed25519KeyId(s.name_, s.public_key_);
  if (s.key_id_ != *id) return bad("key id does not match the name and key");
  return s;
}

NoteSigner::NoteSigner(NoteSigner&& other) noexcept
    : name_(std::move(other.name_)),
      key_id_(other.key_id_),
      public_key_(other.public_key_),
      secret_key_(other.secret_key_) {
  sodium_memzero(other.secret_key_.data(), other.secret_key_.size());
}

NoteSigner& NoteSigner::operator=(NoteSigner&& other) noexcept {
  if (this != &other) {
    name_ = std::move(other.name_);
    key_id_ = other.key_id_;
    public_key_ = other.public_key_;
    secret_key_ = other.secret_key_;
    sodium_memzero(other.secret_key_.data(), other.secret_key_.size());
  }
  return *this;
}

NoteSigner::~NoteSigner() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

NoteVerifier NoteSigner::Verifier() const { return NoteVerifier{name_, key_id_, public_key_}; }

Result<std::string> NoteSigner::Sign(std::string_view text) const {
  if (auto ok = CheckNoteText(text, "note text"); !ok) return Fail(ok.error());
  std::array<uint8_t, 4 + crypto_sign_BYTES> sig;
  const auto id = BigEndian(key_id_);
  std::memcpy(sig.data(), id.data(), 4);
  crypto_sign_detached(sig.data() + 4, nullptr, reinterpret_cast<const uint8_t*>(text.data()),
                       text.size(), secret_key_.data());
  std::string out(text);
  out += '\n';
  out += kEmDashSpace;
  out += name_;
  out += ' ';
  out += Base64Encode(sig);
  out += '\n';
  return out;
}

std::string FormatCheckpointBody(std::string_view origin, uint64_t size, const Hash& root) {
  std::string out(origin);
  out += '\n';
  out += std::to_string(size);
  out += '\n';
  out += Base64Encode(root);
  out += '\n';
  return out;
}

std::string FormatCheckpointBody(const Checkpoint& c) {
  std::string out = FormatCheckpointBody(c.origin, c.size, c.root);
  for (const std::string& e : c.extensions) {
    out += e;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> ParseCheckpointBody(std::string_view text) {
  auto bad = [](std::string why) {
    return Fail(Code::kInvalidArgument, "malformed checkpoint: " + std::move(why));
  };
  if (auto ok = CheckNoteText(text, "checkpoint text"); !ok) return Fail(ok.error());
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    const size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() < 3) return bad("want origin, size and root hash lines");
  Checkpoint c;
  if (lines[0].empty()) return bad("empty origin");
  if (lines[0].size() > kMaxOriginBytes) return bad("origin too long");
  c.origin = std::string(lines[0]);
  auto size = ParseCanonicalUint(lines[1]);
  if (!size) return bad("tree size must be a decimal number without leading zeroes");
  c.size = *size;
  auto root = Base64Decode(lines[2]);
  if (!root || root->size() != c.root.size()) return bad("root must be base64 of 32 bytes");
  std::memcpy(c.root.data(), root->data(), c.root.size());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return bad("empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

Result<std::string> SignCheckpoint(const NoteSigner& signer, const Checkpoint& checkpoint) {
  if (checkpoint.origin.empty() || checkpoint.origin.size() > kMaxOriginBytes ||
      checkpoint.origin.find('\n') != std::string::npos) {
    return Fail(Code::kInvalidArgument, "checkpoint origin must be one non-empty line");
  }
  for (const std::string& e : checkpoint.extensions) {
    if (e.empty() || e.find('\n') != std::string::npos) {
      return Fail(Code::kInvalidArgument, "checkpoint extension lines must be non-empty lines");
    }
  }
  return signer.Sign(FormatCheckpointBody(checkpoint));
}

Result<Checkpoint> VerifyCheckpoint(std::string_view note, std::string_view verifier_key,
                                    std::string_view want_origin) {
  auto verifier = ParseVerifierKey(verifier_key);
  if (!verifier) return Fail(verifier.error());
  auto text = VerifyNote(note, *verifier);
  if (!text) return Fail(text.error());
  auto c = ParseCheckpointBody(*text);
  if (!c) return Fail(c.error());
  if (!want_origin.empty() && c->origin != want_origin) {
    return Fail(Code::kInvalidArgument, "checkpoint is for origin \"" + c->origin + "\", want \"" +
                                            std::string(want_origin) + "\"");
  }
  return c;
}

}  // namespace undersigned::log
