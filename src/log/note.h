// Signed notes (C2SP signed-note) with Ed25519 keys, and log checkpoints (C2SP tlog-checkpoint).
//
// A signed note is a UTF-8 text ending in a newline, a blank line, then one or more signature
// lines "— <key name> <base64(4-byte big-endian key id || signature)>\n" (U+2014 EM DASH, one
// space, the name, one space, the signature). Ed25519 key ids are the first four bytes of
// SHA-256(name || 0x0A || 0x01 || 32-byte public key).
//
// A checkpoint is a signed note whose text is "<origin>\n<tree size>\n<base64 root hash>\n"
// (optionally followed by non-empty extension lines, which this log never writes).
//
// Key formats (the ones of Go's golang.org/x/mod/sumdb/note, so keys interoperate with the Go
// tooling used by witnesses and monitors):
//   verifier key  "<name>+<8 hex digits key id>+<base64(0x01 || 32-byte public key)>"
//   private key   "PRIVATE+KEY+<name>+<8 hex digits key id>+<base64(0x01 || 32-byte seed)>"
// The private key string is a secret: store it with owner-only permissions and never log it.
//
// Parsing is strict; see ParseSignedNote for the exact rules. Verification follows the spec:
// signatures by unknown keys are ignored, a signature by the expected key (same name and key id)
// that fails to verify rejects the whole note, and at least one must verify.
//
// Thread-safety: free functions are thread-safe. A NoteSigner is immutable after construction,
// so concurrent Sign() calls are safe; it wipes its secret key on destruction.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "log/merkle.h"

namespace undersigned::log {

// Limits applied when parsing untrusted notes. The spec requires accepting at least 16
// signatures; lines are bounded so that a hostile note cannot make a verifier allocate much.
inline constexpr size_t kMaxNoteBytes = 64 * 1024;
inline constexpr size_t kMaxNoteSignatures = 100;
inline constexpr size_t kMaxNoteLineBytes = 8 * 1024;
inline constexpr size_t kMaxOriginBytes = 1024;
inline constexpr uint8_t kSignatureTypeEd25519 = 0x01;

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::vector<uint8_t> signature;  // the signature bytes after the key id
};

struct SignedNote {
  std::string text;  // the signed text, including its final newline
  std::vector<NoteSignature> signatures;
};

// Splits a note into text and signature lines without checking any signature. Rejects:
// more than kMaxNoteBytes; invalid UTF-8; control characters other than '\n'; a note not
// ending in '\n'; no blank line (the text is everything up to the last blank line, so it may
// itself contain blank lines); no signature line; a signature line not of the exact form "— name
// base64\n" (extra or missing spaces, an empty name, a name with a Unicode space or '+');
// non-canonical base64; a signature shorter than 5 bytes; a line longer than kMaxNoteLineBytes;
// more than kMaxNoteSignatures signatures.
Result<SignedNote> ParseSignedNote(std::string_view note);

// An Ed25519 note verifier: who is expected to have signed.
struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  std::array<uint8_t, 32> public_key{};
};

// The key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian.
uint32_t Ed25519KeyId(std::string_view name, const std::array<uint8_t, 32>& public_key);

// Parses "<name>+<hex key id>+<base64(0x01 || public key)>". Rejects a bad name, a key id that
// is not 8 hex digits or does not match the key, an algorithm byte other than 0x01, or a key that
// is not 32 bytes.
Result<NoteVerifier> ParseVerifierKey(std::string_view vkey);
std::string FormatVerifierKey(const NoteVerifier& verifier);

// Checks the note's signatures against one trusted key and returns the verified text. Errors:
// kInvalidArgument for a malformed note, kUnauthenticated when no signature by the key verifies
// or one by the key is invalid.
Result<std::string> VerifyNote(std::string_view note, const NoteVerifier& verifier);

// A freshly generated key pair, both halves serialised (see the key formats above).
struct GeneratedKey {
  std::string private_key;  // secret
  std::string verifier_key;
};
// Generates an Ed25519 key named `name` (a schema-less URL is recommended, e.g.
// "petitions.example.org/log"). kInvalidArgument for an invalid name.
Result<GeneratedKey> GenerateNoteKey(std::string_view name);

// Signs notes with one Ed25519 key. Not copyable (it owns a secret); movable.
class NoteSigner {
 public:
  // Parses a private key string ("PRIVATE+KEY+..."), checking that its key id matches.
  static Result<NoteSigner> FromPrivateKey(std::string_view private_key);

  NoteSigner(NoteSigner&& other) noexcept;
  NoteSigner& operator=(NoteSigner&& other) noexcept;
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;
  ~NoteSigner();

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  NoteVerifier Verifier() const;
  std::string VerifierKey() const { return FormatVerifierKey(Verifier()); }

  // Returns text + "\n" + one signature line. kInvalidArgument if text is not a valid note text
  // (must be non-empty, end in '\n', be UTF-8 without control characters other than '\n', and
  // contain no line longer than kMaxNoteLineBytes).
  Result<std::string> Sign(std::string_view text) const;

 private:
  NoteSigner() = default;
  std::string name_;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 32> public_key_{};
  std::array<uint8_t, 64> secret_key_{};  // libsodium layout: seed || public key
};

// A tree head as carried by a checkpoint.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // extension lines, without newlines; normally empty
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// "<origin>\n<size>\n<base64 root>\n".
std::string FormatCheckpointBody(std::string_view origin, uint64_t size, const Hash& root);
// Same, plus the extension lines.
std::string FormatCheckpointBody(const Checkpoint& checkpoint);

// Parses checkpoint note text (without signatures). Rejects: text that is not a valid note text
// (see NoteSigner::Sign); fewer than three lines; an empty origin or one over kMaxOriginBytes; a
// size that is not canonical decimal (no sign, no spaces, no leading zeroes, fits in 64 bits); a
// root that is not canonical base64 of exactly 32 bytes; empty extension lines.
Result<Checkpoint> ParseCheckpointBody(std::string_view text);

// Signs a checkpoint: FormatCheckpointBody plus the signature line.
Result<std::string> SignCheckpoint(const NoteSigner& signer, const Checkpoint& checkpoint);

// Verifies a signed checkpoint against a verifier key string and returns it. When want_origin
// is non-empty the origin line must equal it (callers should pass it: a checkpoint from another
// log signed by the same key must not be accepted). Errors as VerifyNote, plus kInvalidArgument
// for a bad verifier string, a malformed body or the wrong origin.
Result<Checkpoint> VerifyCheckpoint(std::string_view note, std::string_view verifier_key,
                                    std::string_view want_origin = {});

}  // namespace undersigned::log
