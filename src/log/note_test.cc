#include "log/note.h"

#include <gtest/gtest.h>

#include "log/encoding.h"
#include "log/test_util.h"

namespace undersigned::log {
namespace {

// The example key and note of Go's golang.org/x/mod/sumdb/note tests. Ed25519 is deterministic,
// so signing the text with the private key must reproduce the note byte for byte.
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const std::string kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const std::string kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

NoteVerifier Peter() { return *ParseVerifierKey(kPeterVkey); }

TEST(NoteKeys, GoReferenceKeysParseAndAgree) {
  auto v = ParseVerifierKey(kPeterVkey);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->name, "PeterNeumann");
  EXPECT_EQ(v->key_id, 0xc74f20a3u);
  EXPECT_EQ(FormatVerifierKey(*v), kPeterVkey);
  auto s = NoteSigner::FromPrivateKey(kPeterSkey);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name(), "PeterNeumann");
  EXPECT_EQ(s->key_id(), 0xc74f20a3u);
  EXPECT_EQ(s->VerifierKey(), kPeterVkey);
  EXPECT_TRUE(ParseVerifierKey(kEnochVkey));
}

TEST(NoteKeys, EveryManglingOfAVerifierKeyIsRejected) {
  // As in Go's TestNewVerifier: every proper substring and every single-byte increment.
  const std::string k(kPeterVkey);
  for (size_t i = 0; i <= k.size(); ++i) {
    for (size_t j = i + 1; j <= k.size(); ++j) {
      if (i == 0 && j == k.size()) continue;
      EXPECT_FALSE(ParseVerifierKey(k.substr(i, j - i))) << k.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < k.size(); ++i) {
    std::string m = k;
    ++m[i];
    EXPECT_FALSE(ParseVerifierKey(m)) << m;
  }
  EXPECT_FALSE(
      ParseVerifierKey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
  EXPECT_FALSE(
      ParseVerifierKey("PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
  EXPECT_FALSE(
      ParseVerifierKey("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
}

TEST(NoteKeys, PrivateKeyManglingsAreRejected) {
  EXPECT_FALSE(NoteSigner::FromPrivateKey(""));
  EXPECT_FALSE(NoteSigner::FromPrivateKey(kPeterVkey));
  EXPECT_FALSE(NoteSigner::FromPrivateKey(
      "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"));
  EXPECT_FALSE(NoteSigner::FromPrivateKey(
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF"));
  EXPECT_FALSE(NoteSigner::FromPrivateKey(
      "PRIVATE+KEY+Peter+Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"));
}

TEST(SignedNote, SignsTheGoReferenceNoteByteForByte) {
  auto s = NoteSigner::FromPrivateKey(kPeterSkey);
  ASSERT_TRUE(s);
  auto note = s->Sign(kText);
  ASSERT_TRUE(note) << note.error().message;
  EXPECT_EQ(*note, kText + "\n" + kPeterSig);
  auto text = VerifyNote(*note, Peter());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, kText);
}

TEST(SignedNote, UnknownSignaturesAreIgnoredButOneKnownIsRequired) {
  // Peter's and Enoch's signatures; only Peter's key is trusted.
  auto text = VerifyNote(kText + "\n" + kPeterSig + kEnochSig, Peter());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, kText);
  EXPECT_TRUE(VerifyNote(kText + "\n" + kEnochSig + kPeterSig + kPeterSig, Peter()));
  auto only_enoch = VerifyNote(kText + "\n" + kEnochSig, Peter());
  ASSERT_FALSE(only_enoch);
  EXPECT_EQ(only_enoch.error().code, Code::kUnauthenticated);
  // Enoch's key verifies Enoch's signature.
  EXPECT_TRUE(VerifyNote(kText + "\n" + kPeterSig + kEnochSig, *ParseVerifierKey(kEnochVkey)));
  // Same name and id but a different public key: the signature is checked and fails.
  NoteVerifier impostor = Peter();
  impostor.public_key = ParseVerifierKey(kEnochVkey)->public_key;
  EXPECT_EQ(VerifyNote(kText + "\n" + kPeterSig, impostor).error().code, Code::kUnauthenticated);
}

TEST(SignedNote, InvalidSignatureByTheKnownKeyRejectsTheNote) {
  std::string bad = kPeterSig.substr(0, 60) + "ABCD" + kPeterSig.substr(60);
  EXPECT_FALSE(VerifyNote(kText + "\n" + bad, Peter()));
  EXPECT_FALSE(VerifyNote(kText + "\n" + kPeterSig + bad, Peter()));
  // Tampered text.
  std::string text = kText;
  text[3] ^= 0x20;
  EXPECT_FALSE(VerifyNote(text + "\n" + kPeterSig, Peter()));
  // Every flipped bit of the signature.
  const std::string note = kText + "\n" + kPeterSig;
  auto parsed = ParseSignedNote(note);
  ASSERT_TRUE(parsed);
  std::vector<uint8_t> blob = {0xc7, 0x4f, 0x20, 0xa3};
  blob.insert(blob.end(), parsed->signatures[0].signature.begin(),
              parsed->signatures[0].signature.end());
  for (size_t bit = 32; bit < blob.size() * 8; ++bit) {
    auto b = blob;
    b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const std::string line = "\xE2\x80\x94 PeterNeumann " + Base64Encode(b) + "\n";
    EXPECT_FALSE(VerifyNote(kText + "\n" + line, Peter())) << bit;
  }
}

TEST(SignedNote, MalformedNotesAreRejected) {
  const std::string dash = "\xE2\x80\x94";
  // The base64 after "— PeterNeumann ", without the newline.
  const std::string sig_b64 = kPeterSig.substr(17, kPeterSig.size() - 18);
  std::vector<std::string> bad = {
      "",
      kText,                                                     // no signatures
      kText + "\n",                                              // blank line but no signatures
      kText + "\n" + kPeterSig.substr(0, kPeterSig.size() - 1),  // no final newline
      kText + kPeterSig,                                         // no blank line
      "\x01" + kText + "\n" + kPeterSig,                         // control character
      "\xff" + kText + "\n" + kPeterSig,                         // invalid UTF-8
      kText + "\n" + dash + " Bad Name " + sig_b64 + "\n",       // space in name
      kText + "\n" + kPeterSig + "Unexpected line.\n",           // junk after the signatures
      kText + "\n" + dash + "  PeterNeumann " + sig_b64 + "\n",  // two spaces
      kText + "\n" + dash + " PeterNeumann  " + sig_b64 + "\n",  // two spaces
      kText + "\n" + dash + " PeterNeumann " + sig_b64 + " \n",  // trailing space
      kText + "\n" + dash + "PeterNeumann " + sig_b64 + "\n",    // no space after the dash
      kText + "\n" + "- PeterNeumann " + sig_b64 + "\n",         // hyphen, not em dash
      kText + "\n" + dash + " PeterNeumann\n",                   // no signature
      kText + "\n" + dash + " " + sig_b64 + "\n",                // no name
      kText + "\n" + dash + " Peter+Neumann " + sig_b64 + "\n",  // '+' in name
      kText + "\n" + dash + " Peter\xC2\xA0Neumann " + sig_b64 + "\n",  // U+00A0 in name
      kText + "\n" + dash + " PeterNeumann AAAA\n",                     // signature too short
      kText + "\n" + dash + " PeterNeumann " + sig_b64.substr(0, sig_b64.size() - 1) +
          "\n",                         // bad base64
      kText + "\r\n" + kPeterSig,       // CR
      kText + "\n" + kPeterSig + "\n",  // a trailing blank line leaves no signatures
  };
  // Too many signatures: the spec's minimum is 16, the limit is kMaxNoteSignatures.
  std::string many = kText + "\n";
  for (size_t i = 0; i <= kMaxNoteSignatures; ++i) many += kPeterSig;
  bad.push_back(many);
  // A line over the limit.
  bad.push_back(std::string(kMaxNoteLineBytes + 1, 'a') + "\n\n" + kPeterSig);
  bad.push_back(kText + "\n" + kPeterSig + std::string(kMaxNoteBytes, 'a') + "\n");
  for (const std::string& note : bad) {
    EXPECT_FALSE(ParseSignedNote(note)) << note;
    auto v = VerifyNote(note, Peter());
    ASSERT_FALSE(v) << note;
    EXPECT_EQ(v.error().code, Code::kInvalidArgument) << note;
  }
  std::string sixteen = kText + "\n";
  for (int i = 0; i < 16; ++i) sixteen += kEnochSig;
  sixteen += kPeterSig;
  EXPECT_TRUE(VerifyNote(sixteen, Peter()));
}

TEST(SignedNote, TextMayContainBlankLinesTheLastOneSeparates) {
  auto s = NoteSigner::FromPrivateKey(kPeterSkey);
  const std::string text = "a\n\nb\n";
  auto note = s->Sign(text);
  ASSERT_TRUE(note);
  auto parsed = ParseSignedNote(*note);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->text, text);
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].key_id, 0xc74f20a3u);
  EXPECT_EQ(parsed->signatures[0].signature.size(), 64u);
  EXPECT_EQ(*VerifyNote(*note, Peter()), text);
  // Sign refuses text that is not a note text.
  EXPECT_FALSE(s->Sign(""));
  EXPECT_FALSE(s->Sign("no newline"));
  EXPECT_FALSE(s->Sign("tab\there\n"));
  EXPECT_FALSE(s->Sign("\xff\n"));
}

TEST(Checkpoint, BodyFormatMatchesTheSpecExample) {
  auto root = Base64Decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  ASSERT_TRUE(root);
  Hash h;
  std::copy(root->begin(), root->end(), h.begin());
  const std::string body = FormatCheckpointBody("example.com/behind-the-sofa", 20852163, h);
  EXPECT_EQ(
      body,
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
  auto c = ParseCheckpointBody(body);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(c->size, 20852163u);
  EXPECT_EQ(c->root, h);
  EXPECT_TRUE(c->extensions.empty());
  EXPECT_EQ(FormatCheckpointBody("o", 0, EmptyRoot()),
            "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
}

TEST(Checkpoint, BodyParsingIsStrict) {
  const std::string root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  EXPECT_TRUE(ParseCheckpointBody("o\n0\n" + root + "\n"));
  EXPECT_EQ(ParseCheckpointBody("o\n18446744073709551615\n" + root + "\n")->size, UINT64_MAX);
  auto ext = ParseCheckpointBody("o\n5\n" + root + "\nextension one\nx\n");
  ASSERT_TRUE(ext);
  EXPECT_EQ(ext->extensions, (std::vector<std::string>{"extension one", "x"}));
  for (const std::string& bad : std::vector<std::string>{
           "",
           "o\n",
           "o\n5\n",
           "o\n5\n" + root,
           "\n5\n" + root + "\n",
           "o\n05\n" + root + "\n",
           "o\n00\n" + root + "\n",
           "o\n+5\n" + root + "\n",
           "o\n-5\n" + root + "\n",
           "o\n 5\n" + root + "\n",
           "o\n5 \n" + root + "\n",
           "o\n5.0\n" + root + "\n",
           "o\n0x5\n" + root + "\n",
           "o\n\n" + root + "\n",
           "o\n18446744073709551616\n" + root + "\n",
           "o\n99999999999999999999\n" + root + "\n",
           "o\n5\n" + root + " \n",
           "o\n5\n " + root + "\n",
           "o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",  // non-zero pad bits
           "o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==\n",  // 31 bytes
           "o\n5\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n",  // URL alphabet
           "o\n5\n" + root + "\n\n",
           "o\n5\n" + root + "\next\n\n",  // empty extension line
           "o\r\n5\n" + root + "\n",
           std::string(kMaxOriginBytes + 1, 'o') + "\n5\n" + root + "\n",
           "o\n5\n" + root + "\n" + std::string(kMaxNoteLineBytes + 1, 'e') + "\n"}) {
    EXPECT_FALSE(ParseCheckpointBody(bad)) << bad;
  }
}

TEST(Checkpoint, GenerateSignVerifyRoundTrip) {
  auto key = GenerateNoteKey("petitions.example.org/log");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->private_key.rfind("PRIVATE+KEY+petitions.example.org/log+", 0), 0u);
  EXPECT_EQ(key->verifier_key.rfind("petitions.example.org/log+", 0), 0u);
  auto signer = NoteSigner::FromPrivateKey(key->private_key);
  ASSERT_TRUE(signer) << signer.error().message;
  EXPECT_EQ(signer->VerifierKey(), key->verifier_key);

  Checkpoint cp{"petitions.example.org/log", 12345, testing::TestLeaf(7), {}};
  auto note = SignCheckpoint(*signer, cp);
  ASSERT_TRUE(note) << note.error().message;
  EXPECT_EQ(note->rfind(FormatCheckpointBody(cp) + "\n\xE2\x80\x94 petitions.example.org/log ", 0),
            0u);
  auto got = VerifyCheckpoint(*note, key->verifier_key, "petitions.example.org/log");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, cp);
  EXPECT_TRUE(VerifyCheckpoint(*note, key->verifier_key));  // origin not checked

  // Another log, another key, a tampered note, a wrong origin.
  EXPECT_EQ(VerifyCheckpoint(*note, key->verifier_key, "other.example/log").error().code,
            Code::kInvalidArgument);
  auto other = GenerateNoteKey("petitions.example.org/log");
  ASSERT_TRUE(other);
  EXPECT_NE(other->verifier_key, key->verifier_key);
  EXPECT_EQ(VerifyCheckpoint(*note, other->verifier_key).error().code, Code::kUnauthenticated);
  EXPECT_EQ(VerifyCheckpoint(*note, "not a key").error().code, Code::kInvalidArgument);
  for (size_t i = 0; i < FormatCheckpointBody(cp).size(); ++i) {
    std::string t = *note;
    if (t[i] == '\n') continue;
    t[i] = t[i] == '1' ? '2' : '1';
    EXPECT_FALSE(VerifyCheckpoint(t, key->verifier_key)) << i;
  }
  // The two halves of a generated key are of a different key each time.
  EXPECT_NE(other->private_key, key->private_key);
}

TEST(Checkpoint, ValidSignatureOverAMalformedBodyIsStillRejected) {
  auto signer = NoteSigner::FromPrivateKey(kPeterSkey);
  const std::string root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  for (const std::string& body :
       {"o\n007\n" + root + "\n", "o\n7\n" + root + "\n\n", "o\n7\n" + root + "=\n"}) {
    auto note = signer->Sign(body);
    if (!note) continue;  // not even a note text
    auto r = VerifyCheckpoint(*note, kPeterVkey);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  }
  EXPECT_FALSE(SignCheckpoint(*signer, Checkpoint{"", 1, {}, {}}));
  EXPECT_FALSE(SignCheckpoint(*signer, Checkpoint{"a\nb", 1, {}, {}}));
  EXPECT_FALSE(SignCheckpoint(*signer, Checkpoint{"o", 1, {}, {""}}));
}

TEST(NoteSigner, MovesKeepTheKeyAndInvalidNamesAreRefused) {
  auto a = NoteSigner::FromPrivateKey(kPeterSkey);
  ASSERT_TRUE(a);
  NoteSigner b = std::move(*a);
  EXPECT_EQ(*b.Sign(kText), kText + "\n" + kPeterSig);
  auto c = NoteSigner::FromPrivateKey(kPeterSkey);
  *c = std::move(b);
  EXPECT_EQ(*c->Sign(kText), kText + "\n" + kPeterSig);
  for (const char* name : {"", "a b", "a+b", "a\tb",
                           "a\xE2\x80\x83"
                           "b",
                           "\xff"}) {
    EXPECT_FALSE(GenerateNoteKey(name)) << name;
  }
}

}  // namespace
}  // namespace undersigned::log
