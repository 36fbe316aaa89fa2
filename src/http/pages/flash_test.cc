#include "http/pages/flash.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cctype>
#include <string>

namespace undersigned::http::pages {
namespace {

constexpr UnixTime kNow = 1'700'000'000;

FlashEntry Typed(const std::string& slug, const std::string& name) {
  FlashEntry e;
  e.slug = slug;
  e.typed.name = name;
  return e;
}

// Bytes that deflate cannot shrink (a failed form keeps what was typed even when it is not
// UTF-8, so this is the worst case).
std::string Incompressible(std::size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

// The largest entry a failed sign form can make with every field at its limit: names, addresses
// and the comment at their byte limits (random bytes if random, the worst case, else letters),
// and a message on every field.
FlashEntry Largest(const std::string& comment, bool random = false) {
  auto text = [random](std::size_t n, char c) {
    return random ? Incompressible(n) : std::string(n, c);
  };
  FlashEntry e;
  e.slug = std::string(64, 's');
  e.typed.name = text(kMaxNameBytes, 'n');
  e.typed.email = text(kMaxEmailBytes - 12, 'e') + "@example.org";
  e.typed.postal_code = text(kMaxPostalCodeBytes, '9');
  e.typed.country = "FR";
  e.typed.comment = comment;
  e.typed.group = std::string(64, 'g');
  e.typed.work_email = text(kMaxEmailBytes - 12, 'w') + "@example.com";
  e.typed.protection = Protection::kSealed;
  e.typed.seal_threshold = 1000;
  e.typed.public_name = e.typed.wants_updates = e.typed.attested = true;
  for (const char* key : {"name", "email", "postal_code", "country", "comment", "group",
                          "work_email", "protection", "seal_threshold", "attested"}) {
    e.errors[key] = "Enter something that this field accepts, within its limit of characters.";
  }
  return e;
}

TEST(FlashStore, RoundTripsEveryField) {
  FlashStore store("secret");
  FlashEntry e = Largest("Un commentaire.\nÀ la ligne.");
  e.general_error = "Please check the form.";
  e.sent = true;
  e.kind = SignOutcome::Kind::kAlreadyConfirmed;
  e.email = "ada@example.org";
  e.work_group = "staff";
  e.organization = "Org & Co";
  e.token_done = e.changed = true;
  const std::string sealed = store.Seal(e, kNow);
  for (char c : sealed) {
    ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << sealed;
  }
  auto got = store.Open(sealed, e.slug, kNow + 1);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->slug, e.slug);
  EXPECT_EQ(got->typed.name, e.typed.name);
  EXPECT_EQ(got->typed.email, e.typed.email);
  EXPECT_EQ(got->typed.postal_code, e.typed.postal_code);
  EXPECT_EQ(got->typed.country, "FR");
  EXPECT_EQ(got->typed.comment, e.typed.comment);
  EXPECT_EQ(got->typed.group, e.typed.group);
  EXPECT_EQ(got->typed.work_email, e.typed.work_email);
  EXPECT_EQ(got->typed.protection, Protection::kSealed);
  EXPECT_EQ(got->typed.seal_threshold, 1000);
  EXPECT_TRUE(got->typed.public_name && got->typed.wants_updates && got->typed.attested);
  EXPECT_EQ(got->errors, e.errors);
  EXPECT_EQ(got->general_error, e.general_error);
  EXPECT_TRUE(got->sent);
  EXPECT_EQ(got->kind, SignOutcome::Kind::kAlreadyConfirmed);
  EXPECT_EQ(got->email, "ada@example.org");
  EXPECT_EQ(got->work_group, "staff");
  EXPECT_EQ(got->organization, "Org & Co");
  EXPECT_TRUE(got->token_done && got->changed);
  // Reading does not consume it; each seal has its own nonce.
  EXPECT_TRUE(store.Open(sealed, e.slug, kNow + 2));
  EXPECT_NE(store.Seal(e, kNow), sealed);
}

TEST(FlashStore, ASmallEntryMakesAShortCookie) {
  FlashStore store("secret");
  FlashEntry sent;
  sent.slug = "drop-ice";
  sent.sent = true;
  sent.email = "ada@example.org";
  EXPECT_LT(store.Seal(sent, kNow).size(), 160u);
  FlashEntry done;
  done.slug = "confirm:" + std::string(43, 't');
  done.token_done = true;
  const std::string sealed = store.Seal(done, kNow);
  EXPECT_LT(sealed.size(), 200u);
  auto got = store.Open(sealed, done.slug, kNow);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->token_done);
  EXPECT_FALSE(got->changed);
}

TEST(FlashStore, ATamperedCookieIsNoFlash) {
  FlashStore store("secret");
  const std::string sealed = store.Seal(Typed("a", "Ada"), kNow);
  ASSERT_TRUE(store.Open(sealed, "a", kNow));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(store.Open(bad, "a", kNow)) << i;
  }
  EXPECT_FALSE(store.Open(sealed.substr(0, sealed.size() - 1), "a", kNow));
  EXPECT_FALSE(store.Open(sealed + "A", "a", kNow));
  EXPECT_FALSE(store.Open("", "a", kNow));
  EXPECT_FALSE(store.Open("not a cookie!", "a", kNow));
  EXPECT_FALSE(store.Open(std::string(43, 'A'), "a", kNow));  // an id of the in-memory store
  EXPECT_FALSE(store.Open(std::string(100'000, 'A'), "a", kNow));
}

TEST(FlashStore, AnotherScopeIsNoFlash) {
  FlashStore store("secret");
  const std::string sealed = store.Seal(Typed("a", "Ada"), kNow);
  EXPECT_FALSE(store.Open(sealed, "b", kNow));  // another campaign's pages
  EXPECT_FALSE(store.Open(sealed, "", kNow));
  EXPECT_FALSE(store.Open(sealed, "confirm:a", kNow));
  FlashEntry done;
  done.slug = "confirm:tok";
  done.token_done = true;
  const std::string pressed = store.Seal(done, kNow);
  EXPECT_TRUE(store.Open(pressed, "confirm:tok", kNow));
  EXPECT_FALSE(store.Open(pressed, "withdraw:tok", kNow));
  EXPECT_FALSE(store.Open(pressed, "confirm:other", kNow));
}

TEST(FlashStore, ExpiresAfterItsTtlOnTheWallClock) {
  FlashStore store("secret");
  EXPECT_EQ(store.ttl_seconds(), 600);
  const std::string sealed = store.Seal(Typed("a", "Ada"), kNow);
  EXPECT_TRUE(store.Open(sealed, "a", kNow + 599));
  EXPECT_FALSE(store.Open(sealed, "a", kNow + 600));
  EXPECT_FALSE(store.Open(sealed, "a", kNow + 86'400));
  FlashStore short_lived("secret", 5);
  const std::string brief = short_lived.Seal(Typed("a", "Ada"), kNow);
  EXPECT_TRUE(store.Open(brief, "a", kNow + 4));  // the expiry travels in the cookie
  EXPECT_FALSE(store.Open(brief, "a", kNow + 5));
}

// Two nodes: each derives the key from the shared secret, so one reads what the other sealed;
// a node of another site (another secret), or a store without one, does not.
TEST(FlashStore, AnotherNodeWithTheSameSecretReadsIt) {
  FlashStore node1("instance secret");
  FlashStore node2("instance secret");
  const std::string sealed = node1.Seal(Typed("a", "Ada"), kNow);
  auto got = node2.Open(sealed, "a", kNow + 1);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->typed.name, "Ada");
  EXPECT_TRUE(node1.Open(node2.Seal(Typed("a", "Bo"), kNow), "a", kNow));
  FlashStore other("another secret");
  EXPECT_FALSE(other.Open(sealed, "a", kNow + 1));
  FlashStore random_key("");
  EXPECT_FALSE(random_key.Open(sealed, "a", kNow + 1));
  EXPECT_TRUE(random_key.Open(random_key.Seal(Typed("a", "Cy"), kNow), "a", kNow));
  EXPECT_FALSE(FlashStore("").Open(random_key.Seal(Typed("a", "Cy"), kNow), "a", kNow));
}

// The largest valid form fits whole when its comment is ordinary text (deflated); one that
// cannot be shrunk, or typed past its limit, loses its comment and says so; fields typed far
// past their limits lose everything typed and say so; the cookie is never over the bound.
TEST(FlashStore, StaysUnderTheCookieBound) {
  FlashStore store("secret");
  const std::size_t bound = FlashStore::kMaxCookieValueBytes;

  std::string prose;
  while (prose.size() < kMaxCommentBytes) {
    prose += "Nous demandons l'annulation du contrat, et la publication de ses termes. ";
  }
  prose.resize(kMaxCommentBytes);
  const std::string whole = store.Seal(Largest(prose), kNow);
  EXPECT_LE(whole.size(), bound);
  auto got = store.Open(whole, std::string(64, 's'), kNow);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->typed.comment, prose);
  EXPECT_EQ(got->typed.name, std::string(kMaxNameBytes, 'n'));

  // A full comment of random bytes still fits once the rest is small.
  FlashEntry plain = Typed("a", "Ada");
  plain.typed.comment = Incompressible(kMaxCommentBytes);
  got = store.Open(store.Seal(plain, kNow), "a", kNow);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->typed.comment, plain.typed.comment);

  // The largest form with a comment of random bytes does not: the comment goes, with a message.
  FlashEntry largest = Largest(Incompressible(kMaxCommentBytes), /*random=*/true);
  std::string sealed = store.Seal(largest, kNow);
  EXPECT_LE(sealed.size(), bound);
  got = store.Open(sealed, largest.slug, kNow);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->typed.comment, "");
  EXPECT_EQ(got->typed.name, largest.typed.name);
  EXPECT_EQ(got->typed.work_email, largest.typed.work_email);
  EXPECT_EQ(got->errors["comment"],
            largest.errors["comment"] + " " + std::string(FlashStore::kCommentDropped));
  EXPECT_EQ(got->errors["name"], largest.errors["name"]);

  // A comment typed far past its limit (the body may be 64 KiB).
  FlashEntry long_comment = Typed("a", "Ada");
  long_comment.typed.comment = Incompressible(60'000);
  long_comment.errors["comment"] = "Your comment is too long.";
  sealed = store.Seal(long_comment, kNow);
  EXPECT_LE(sealed.size(), bound);
  got = store.Open(sealed, "a", kNow);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->typed.name, "Ada");
  EXPECT_EQ(got->typed.comment, "");
  EXPECT_EQ(got->errors["comment"],
            "Your comment is too long. " + std::string(FlashStore::kCommentDropped));

  // A name typed far past its limit: nothing typed is kept, the choices and errors are.
  FlashEntry long_name = Typed("a", Incompressible(60'000));
  long_name.typed.comment = "short";
  long_name.typed.public_name = true;
  long_name.typed.group = "staff";
  long_name.errors["name"] = "Your name is too long.";
  sealed = store.Seal(long_name, kNow);
  EXPECT_LE(sealed.size(), bound);
  got = store.Open(sealed, "a", kNow);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->typed.name, "");
  EXPECT_EQ(got->typed.comment, "");
  EXPECT_TRUE(got->typed.public_name);
  EXPECT_EQ(got->typed.group, "staff");
  EXPECT_EQ(got->errors["name"], "Your name is too long.");
  EXPECT_EQ(got->general_error, FlashStore::kTypedDropped);

  // Hundreds of long messages (no form makes them): only the scope and a message are left.
  FlashEntry many = Typed("a", "Ada");
  for (int i = 0; i < 500; ++i) many.errors["k" + std::to_string(i)] = Incompressible(50);
  sealed = store.Seal(many, kNow);
  EXPECT_LE(sealed.size(), bound);
  got = store.Open(sealed, "a", kNow);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->errors.empty());
  EXPECT_EQ(got->general_error, FlashStore::kTypedDropped);
}

// Entries of every size and kind of content come back as they went in, or without their
// comment when it did not fit (deflate's end of stream is found whatever the data).
TEST(FlashStore, ManyEntriesRoundTrip) {
  FlashStore store("secret");
  auto text = [](std::size_t n) {
    std::string s;
    while (s.size() < n) s += "mot" + std::to_string(randombytes_uniform(1000)) + " ";
    s.resize(n);
    return s;
  };
  for (int i = 0; i < 300; ++i) {
    FlashEntry e;
    e.slug = "c" + std::to_string(i);
    e.typed.name =
        i % 2 ? Incompressible(randombytes_uniform(300)) : text(randombytes_uniform(300));
    e.typed.comment = i % 3 ? text(randombytes_uniform(i % 10 ? 2500 : 20000))
                            : Incompressible(randombytes_uniform(2500));
    if (i % 4 == 0) e.errors["email"] = "Enter an email address.";
    const std::string sealed = store.Seal(e, kNow);
    ASSERT_LE(sealed.size(), FlashStore::kMaxCookieValueBytes);
    auto got = store.Open(sealed, e.slug, kNow);
    ASSERT_TRUE(got) << i;
    if (got->typed.comment.empty() && !e.typed.comment.empty()) {
      EXPECT_NE(got->errors["comment"].find(FlashStore::kCommentDropped), std::string::npos);
      continue;
    }
    EXPECT_EQ(got->typed.comment, e.typed.comment) << i;
    EXPECT_EQ(got->typed.name, e.typed.name) << i;
    EXPECT_EQ(got->errors, e.errors) << i;
  }
}

TEST(FlashStore, CookieIsScopedAndShortLived) {
  FlashStore store("secret");
  EXPECT_EQ(store.CookieValue("V", "/c/x/", false),
            "us_flash=V; Path=/c/x/; Max-Age=600; HttpOnly; SameSite=Lax");
  EXPECT_EQ(store.CookieValue("V", "/c/x/", true),
            "us_flash=V; Path=/c/x/; Max-Age=600; HttpOnly; SameSite=Lax; Secure");
}

}  // namespace
}  // namespace undersigned::http::pages
