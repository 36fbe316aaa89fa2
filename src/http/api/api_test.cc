// Handler-level tests of the OSDI API: real services over a real SQLite store in a temporary
// directory, requests dispatched through a real Router filled by RegisterApi.
#include "http/api/api.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "core/group.h"
#include "http/router.h"
#include "http/url.h"
#include "service/ids.h"
#include "service/organizations.h"
#include "store/account_store.h"
#include "store/sqlite/sqlite_store.h"

namespace undersigned::http {
namespace {

using nlohmann::json;

constexpr const char* kBase = "https://sign.example.org";

struct Reply {
  int status = 0;
  json body;
  Response raw;
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : raw.headers) {
      if (k == name) return v;
    }
    return "";
  }
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(RateLimit{1000, 1000, true}); }

  void Start(RateLimit per_token) {
    char tmpl[] = "/tmp/us_api_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store::SqliteOptions opts;
    opts.path = dir_ + "/test.db";
    opts.synchronous_full = false;
    auto st = store::OpenSqliteStore(opts);
    ASSERT_TRUE(st) << st.error().message;
    store_ = std::move(*st);
    campaigns_ = std::make_unique<service::CampaignService>(*store_, clock_);
    ASSERT_TRUE(campaigns_->Load());
    service::SigningOptions so;
    so.per_email = RateLimit{1000, 1000, true};
    signing_ = std::make_unique<service::SigningService>(*store_, *campaigns_, clock_, so, [] {});
    tokens_ = std::make_unique<service::ApiTokenService>(*store_, clock_);
    auto t = tokens_->Create("test");
    ASSERT_TRUE(t);
    token_ = *t;
    router_ = std::make_unique<Router>();
    people_ = std::make_unique<service::PeopleService>(*store_, clock_);
    organizations_ =
        std::make_unique<service::OrganizationService>(*store_, *campaigns_, clock_, nullptr);
    ApiDeps deps{*campaigns_,     *signing_, *tokens_, *people_,
                 *organizations_, clock_,    kBase,    per_token};
    RegisterApi(*router_, deps);
  }

  void TearDown() override {
    router_.reset();
    if (store_) store_->Close();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // target: "/api/v2/petitions?page=2"; token: "" for none.
  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& token = "", const std::string& content_type = "application/json",
             const std::string& remote = "192.0.2.1") {
    Request req;
    req.method = method;
    req.target = target;
    std::size_t q = target.find('?');
    std::string raw_path = target.substr(0, q);
    EXPECT_TRUE(PercentDecode(raw_path, false, &req.path));
    if (q != std::string::npos) {
      std::string qs = target.substr(q + 1);
      auto form = ParseForm(qs);
      EXPECT_TRUE(form) << target;
      if (form) req.query = *form;
    }
    if (!token.empty()) req.headers["osdi-api-token"] = token;
    if (!body.empty() && !content_type.empty()) req.headers["content-type"] = content_type;
    req.body = body;
    req.remote_address = remote;
    std::vector<std::string_view> segs;
    SplitPath(req.path, &segs);
    auto match = router_->Find(method, segs, &req.params);
    Reply r;
    if (!match.route) {
      r.status = match.method_not_allowed ? 405 : 404;
      return r;
    }
    EXPECT_TRUE(match.route->options.blocking) << target;
    if (match.route->kind == Router::Kind::kAsync) {
      std::promise<Response> answer;
      match.route->async_handler(req, Respond([&answer](Response a) { answer.set_value(a); }));
      r.raw = answer.get_future().get();
    } else {
      r.raw = match.route->handler(req);
    }
    r.status = r.raw.status;
    EXPECT_EQ(r.raw.content_type.rfind("application/hal+json", 0), 0u) << target;
    r.body = json::parse(r.raw.body, nullptr, false);
    EXPECT_FALSE(r.body.is_discarded()) << r.raw.body;
    if (r.status >= 400) {
      EXPECT_TRUE(r.body.contains("error")) << r.raw.body;
      EXPECT_TRUE(r.body["error"].is_string());
    }
    return r;
  }

  // Creates a petition through the API; returns its representation.
  json CreatePetition(const std::string& title, const std::string& extra = "") {
    std::string body = R"({"title":")" + title +
                       R"(","description":"Dear Mayor","target":[{"name":"Mayor Smith"}])" + extra +
                       "}";
    Reply r = Call("POST", "/api/v2/petitions", body, token_);
    EXPECT_EQ(r.status, 200) << r.raw.body;
    return r.body;
  }

  static std::string Id(const json& resource) {
    std::string id = resource["identifiers"][0];
    return id.substr(id.find(':') + 1);
  }

  static std::string SignBody(const std::string& email, const std::string& given = "Ada") {
    return R"({"person":{"given_name":")" + given +
           R"(","family_name":"Lovelace","email_addresses":[{"address":")" + email +
           R"("}],"postal_addresses":[{"postal_code":"N1 9GU","country":"GB"}]},)"
           R"("comments":"Count me in","add_tags":["t"],"triggers":{}})";
  }

  // A letter from Acme's employees (proven by an address at acme.com; names may be sealed until
  // 3 are verified), its shareholders (who attest) and the public.
  json CreateGroupPetition(int floor) {
    return CreatePetition(
        "Letter to Acme",
        R"(,"undersigned:anonymity_floor":)" + std::to_string(floor) +
            R"(,"undersigned:groups":[{"key":"employees","name":"Acme employees",)"
            R"("kind":"employees","organization":"Acme","domains":["acme.com"],)"
            R"("seal_thresholds":[3]},{"key":"shareholders","name":"Shareholders",)"
            R"("kind":"shareholders","attestation":"I hold shares in Acme."},)"
            R"({"key":"public","name":"Public"}])");
  }

  // An employee signing with a work address; extra is more JSON members (",...").
  static std::string EmployeeBody(const std::string& work, const std::string& given,
                                  const std::string& extra = "") {
    return R"({"person":{"given_name":")" + given +
           R"(","email_addresses":[]},)"
           R"("undersigned:group":"employees",)"
           R"("undersigned:work_email":")" +
           work + R"(")" + extra + "}";
  }

  // SignBody into the public group of a petition with groups.
  static std::string PublicBody(const std::string& email, const std::string& given = "Ada") {
    std::string body = SignBody(email, given);
    body.insert(1, R"("undersigned:group":"public",)");
    return body;
  }

  static std::string HolderBody(const std::string& email) {
    return R"({"person":{"given_name":"Holder","email_addresses":[{"address":")" + email +
           R"("}]},"undersigned:group":"shareholders","undersigned:attested":true})";
  }

  // Follows the link of the latest "verify" mail sent to the work address.
  void FollowVerifyLink(const std::string& work) {
    std::string token;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    ASSERT_TRUE(due);
    for (const OutboxMessage& m : *due) {
      if (m.kind == "verify" && m.recipient == work) {
        token = json::parse(m.payload).at("token");
      }
    }
    ASSERT_FALSE(token.empty()) << "no verify mail to " << work;
    auto confirmed = signing_->Confirm(token);
    ASSERT_TRUE(confirmed) << confirmed.error().message;
  }

  // GET of an absolute href of ours.
  Reply Follow(const json& href, const std::string& token) {
    std::string url = href.get<std::string>();
    EXPECT_EQ(url.rfind(kBase, 0), 0u) << url;
    return Call("GET", url.substr(std::string(kBase).size()), "", token);
  }

  ManualClock clock_{1'700'000'000};
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<service::CampaignService> campaigns_;
  std::unique_ptr<service::SigningService> signing_;
  std::unique_ptr<service::ApiTokenService> tokens_;
  std::unique_ptr<service::PeopleService> people_;
  std::unique_ptr<service::OrganizationService> organizations_;
  std::unique_ptr<Router> router_;
  std::string token_;
};

// A petition whose deadline has passed is closed for the status filter too, as on every other
// surface, though its stored status still reads open.
TEST_F(ApiTest, StatusFilterComparesTheStatusAtThisMoment) {
  CreatePetition("Lasts an hour",
                 R"(,"undersigned:deadline":")" + FormatIso8601(clock_.Now() + 3600) + R"(")");
  CreatePetition("No deadline");
  auto count = [&](const std::string& filter, const std::string& token) {
    Reply r = Call("GET", "/api/v2/petitions?filter=" + PercentEncode(filter), "", token);
    EXPECT_EQ(r.status, 200) << r.raw.body;
    return r.body["total_records"].get<int>();
  };
  EXPECT_EQ(count("undersigned:status eq 'open'", token_), 2);
  EXPECT_EQ(count("undersigned:status eq 'closed'", token_), 0);
  clock_.Advance(3601);
  EXPECT_EQ(count("undersigned:status eq 'open'", token_), 1);
  EXPECT_EQ(count("undersigned:status eq 'closed'", token_), 1);
  // Without a token the list is what the public can see: the open ones.
  EXPECT_EQ(Call("GET", "/api/v2/petitions").body["total_records"], 1);
}

TEST_F(ApiTest, EntryPoint) {
  for (const char* path : {"/api/v2/", "/api/v2"}) {
    Reply r = Call("GET", path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body["vendor_name"], "undersigned");
    EXPECT_EQ(r.body["osdi_version"], "1.2");
    EXPECT_EQ(r.body["namespace"], "undersigned");
    EXPECT_EQ(r.body["max_pagesize"], 25);
    EXPECT_EQ(r.body["max_page_size"], 25);
    EXPECT_TRUE(r.body.contains("motd"));
    EXPECT_EQ(r.body["_links"]["osdi:petitions"]["href"], std::string(kBase) + "/api/v2/petitions");
    EXPECT_EQ(r.body["_links"]["osdi:people"]["href"], std::string(kBase) + "/api/v2/people");
    EXPECT_EQ(r.body["_links"]["self"]["href"], std::string(kBase) + "/api/v2/");
    EXPECT_FALSE(r.body["_links"].contains("osdi:events"));  // not implemented: not linked
  }
}

TEST_F(ApiTest, CreateGetAndUpdatePetition) {
  Reply anon = Call("POST", "/api/v2/petitions", R"({"title":"x","target":[{"name":"y"}]})");
  EXPECT_EQ(anon.status, 401);
  EXPECT_NE(anon.body["error"].get<std::string>().find("OSDI-API-Token"), std::string::npos);
  EXPECT_EQ(
      Call("POST", "/api/v2/petitions", R"({"title":"x","target":[{"name":"y"}]})", "us_wrong")
          .status,
      401);

  json p = CreatePetition("Save the Library!", R"(,"summary":"Keep it open",)"
                                               R"("undersigned:goal":300)");
  const std::string id = Id(p);
  EXPECT_EQ(p["name"], "save-the-library");
  EXPECT_EQ(p["browser_url"], std::string(kBase) + "/c/save-the-library");
  EXPECT_EQ(p["undersigned:status"], "open");
  EXPECT_EQ(p["undersigned:goal"], 300);
  EXPECT_EQ(p["total_signatures"], 0);
  EXPECT_EQ(p["created_date"], "2023-11-14T22:13:20Z");

  // Public read, by bare id and by namespaced id.
  Reply got = Call("GET", "/api/v2/petitions/" + id);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["title"], "Save the Library!");
  EXPECT_EQ(got.body["target"][0]["name"], "Mayor Smith");
  EXPECT_EQ(Call("GET", "/api/v2/petitions/undersigned:" + id).status, 200);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id + "/").status, 200);
  Reply missing = Call("GET", "/api/v2/petitions/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/foreign:1").status, 404);

  // Update merges: only given fields change; null clears optional ones.
  clock_.Advance(60);
  Reply up = Call("PUT", "/api/v2/petitions/" + id,
                  R"({"summary":null,"undersigned:goal":5000,"title":"Save Our Library"})", token_);
  ASSERT_EQ(up.status, 200) << up.raw.body;
  EXPECT_EQ(up.body["title"], "Save Our Library");
  EXPECT_EQ(up.body["summary"], "");
  EXPECT_EQ(up.body["undersigned:goal"], 5000);
  EXPECT_EQ(up.body["description"], "Dear Mayor");
  EXPECT_EQ(up.body["name"], "save-the-library");
  EXPECT_EQ(up.body["modified_date"], "2023-11-14T22:14:20Z");
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id).body["undersigned:goal"], 5000);

  EXPECT_EQ(Call("PUT", "/api/v2/petitions/" + id, R"({"title":"x"})").status, 401);
  EXPECT_EQ(Call("PUT", "/api/v2/petitions/00000000-0000-4000-8000-000000000000",
                 R"({"title":"x"})", token_)
                .status,
            404);
  Reply bad = Call("PUT", "/api/v2/petitions/" + id, R"({"undersigned:goal":0})", token_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.body["fields"].contains("undersigned:goal")) << bad.raw.body;
}

TEST_F(ApiTest, PetitionThresholdAndOutcome) {
  json p = CreatePetition("Only if enough",
                          R"(,"undersigned:threshold":2,"undersigned:deadline":"2099-01-01")");
  EXPECT_EQ(p["undersigned:threshold"], 2);
  EXPECT_EQ(p["undersigned:outcome"], "pending");
  EXPECT_TRUE(p["undersigned:outcome_date"].is_null());
  // Two signatures recorded with the token count at once and reach it.
  for (const char* email : {"t1@example.org", "t2@example.org"}) {
    Reply r = Call("POST", "/api/v2/petitions/" + Id(p) + "/signatures",
                   std::string(R"({"person":{"given_name":"T","email_addresses":[{"address":")") +
                       email + R"("}]}})",
                   token_);
    ASSERT_EQ(r.status, 200) << r.raw.body;
  }
  Reply got = Call("GET", "/api/v2/petitions/" + Id(p));
  EXPECT_EQ(got.body["undersigned:outcome"], "succeeded") << got.raw.body;
  EXPECT_TRUE(got.body["undersigned:outcome_date"].is_string());

  // A threshold needs a deadline; the error names the field.
  Reply bad =
      Call("POST", "/api/v2/petitions",
           R"({"title":"No deadline","target":[{"name":"X"}],"undersigned:threshold":5})", token_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.raw.body.find("undersigned:threshold"), std::string::npos) << bad.raw.body;
  EXPECT_NE(bad.raw.body.find("deadline"), std::string::npos) << bad.raw.body;
}

TEST_F(ApiTest, CreateValidation) {
  Reply r =
      Call("POST", "/api/v2/petitions", "title=x", token_, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415);
  r = Call("POST", "/api/v2/petitions", R"({"title":)", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["error"].get<std::string>().find("not valid JSON"), std::string::npos);
  r = Call("POST", "/api/v2/petitions", "{\"title\":\"\xff\"}", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["error"].get<std::string>().find("UTF-8"), std::string::npos);
  r = Call("POST", "/api/v2/petitions", R"({"title":5,"target":[{"name":"x"}]})", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["error"].get<std::string>().find("title must be a string"), std::string::npos);
  r = Call("POST", "/api/v2/petitions", R"({"title":"No target"})", token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["fields"].contains("target"));
  r = Call("POST", "/api/v2/petitions",
           R"({"title":"<b>x</b>","target":[{"name":"y"}],)"
           R"("undersigned:language":"not a language"})",
           token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body["fields"].contains("undersigned:language")) << r.raw.body;
  r = Call("POST", "/api/v2/petitions", std::string(70 * 1024, ' '), token_);
  EXPECT_EQ(r.status, 413);
  // A missing content type is fine when the body is JSON.
  r = Call("POST", "/api/v2/petitions", R"({"title":"No type","target":["y"]})", token_, "");
  EXPECT_EQ(r.status, 200) << r.raw.body;
  // Nothing invalid was stored.
  Reply list = Call("GET", "/api/v2/petitions", "", token_);
  EXPECT_EQ(list.body["total_records"], 1);
}

TEST_F(ApiTest, DerivedSlugsAvoidCollisionsButExplicitNamesConflict) {
  json a = CreatePetition("Same Title");
  json b = CreatePetition("Same Title");
  EXPECT_EQ(a["name"], "same-title");
  EXPECT_EQ(b["name"], "same-title-2");
  Reply c = Call("POST", "/api/v2/petitions",
                 R"({"title":"Other","name":"same-title","target":["x"]})", token_);
  EXPECT_EQ(c.status, 409);
  EXPECT_TRUE(c.body["fields"].contains("name")) << c.raw.body;
  json d = CreatePetition("日本語のタイトル");
  EXPECT_EQ(d["name"].get<std::string>().rfind("petition-", 0), 0u);
}

TEST_F(ApiTest, ListPaginationAndFilters) {
  for (int i = 0; i < 3; ++i) {
    CreatePetition("Petition " + std::to_string(i));
    clock_.Advance(86400);
  }
  CreatePetition("Secret draft", R"(,"undersigned:status":"draft")");

  Reply page1 = Call("GET", "/api/v2/petitions?per_page=2");
  ASSERT_EQ(page1.status, 200);
  EXPECT_EQ(page1.body["total_records"], 3);  // the draft is not public
  EXPECT_EQ(page1.body["total_pages"], 2);
  EXPECT_EQ(page1.body["per_page"], 2);
  EXPECT_EQ(page1.body["page"], 1);
  EXPECT_EQ(page1.body["_embedded"]["osdi:petitions"].size(), 2u);
  EXPECT_EQ(page1.body["_links"]["osdi:petitions"].size(), 2u);
  EXPECT_EQ(page1.body["_links"]["osdi:petitions"][0]["href"],
            page1.body["_embedded"]["osdi:petitions"][0]["_links"]["self"]["href"]);
  EXPECT_EQ(page1.body["_links"]["next"]["href"],
            std::string(kBase) + "/api/v2/petitions?page=2&per_page=2");
  EXPECT_FALSE(page1.body["_links"].contains("previous"));

  Reply page2 = Call("GET", "/api/v2/petitions/?page=2&per_page=2");
  ASSERT_EQ(page2.status, 200);
  EXPECT_EQ(page2.body["_embedded"]["osdi:petitions"].size(), 1u);
  EXPECT_FALSE(page2.body["_links"].contains("next"));
  EXPECT_TRUE(page2.body["_links"].contains("previous"));

  Reply past = Call("GET", "/api/v2/petitions?page=9");
  ASSERT_EQ(past.status, 200);
  EXPECT_TRUE(past.body["_embedded"]["osdi:petitions"].is_array());
  EXPECT_TRUE(past.body["_embedded"]["osdi:petitions"].empty());
  EXPECT_EQ(past.body["total_records"], 3);

  EXPECT_EQ(Call("GET", "/api/v2/petitions?page=0").status, 400);
  EXPECT_EQ(Call("GET", "/api/v2/petitions?per_page=abc").status, 400);

  // With a token, drafts are listed too.
  EXPECT_EQ(Call("GET", "/api/v2/petitions", "", token_).body["total_records"], 4);
  EXPECT_EQ(Call("GET",
                 "/api/v2/petitions?filter=" + PercentEncode("undersigned:status eq "
                                                             "'draft'"),
                 "", token_)
                .body["total_records"],
            1);
  EXPECT_EQ(
      Call("GET", "/api/v2/petitions?filter=" + PercentEncode("undersigned:status eq 'draft'"))
          .status,
      401);

  // modified_date filters (created one day apart from 2023-11-14T22:13:20Z).
  Reply newer = Call("GET", "/api/v2/petitions?filter=" +
                                PercentEncode("modified_date gt '2023-11-15T12:00:00Z'"));
  ASSERT_EQ(newer.status, 200) << newer.raw.body;
  EXPECT_EQ(newer.body["total_records"], 2);
  EXPECT_NE(newer.body["_links"]["self"]["href"].get<std::string>().find("&filter=modified_date"),
            std::string::npos);
  Reply older = Call("GET", "/api/v2/petitions?$filter=" +
                                PercentEncode("modified_date lt '2023-11-15T12:00:00Z'"));
  EXPECT_EQ(older.body["total_records"], 1);
  Reply bad = Call("GET", "/api/v2/petitions?filter=" + PercentEncode("title eq 'x'"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("supported"), std::string::npos);
}

TEST_F(ApiTest, PetitionsKeepForeignIdentifiersAndAreFoundByThem) {
  json made = CreatePetition("Foreign ids", R"(,"identifiers":["foreign_system:1234",)"
                                            R"("undersigned:not-ours-to-set"])");
  const std::string id = Id(made);
  EXPECT_EQ(made["identifiers"],
            json::array({"undersigned:" + id, "action_network:" + id, "foreign_system:1234"}));
  Reply upd =
      Call("PUT", "/api/v2/petitions/" + id, R"({"identifiers":["other_system:99"]})", token_);
  ASSERT_EQ(upd.status, 200) << upd.raw.body;
  EXPECT_EQ(upd.body["identifiers"], json::array({"undersigned:" + id, "action_network:" + id,
                                                  "foreign_system:1234", "other_system:99"}));
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id).body["identifiers"], upd.body["identifiers"]);
  // A PUT without identifiers keeps them.
  ASSERT_EQ(Call("PUT", "/api/v2/petitions/" + id, R"({"title":"Renamed"})", token_).status, 200);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id).body["identifiers"], upd.body["identifiers"]);

  auto filter = [&](const std::string& expr, const std::string& token = "") {
    return Call("GET", "/api/v2/petitions?filter=" + PercentEncode(expr), "", token);
  };
  for (const char* expr : {"identifier eq 'foreign_system:1234'", "identifier eq 'other_system:99'",
                           "identifier eq 'undersigned:" /* own ids still work */}) {
    std::string e = expr;
    if (e.back() == ':') e += id + "'";
    Reply r = filter(e);
    ASSERT_EQ(r.status, 200) << e << r.raw.body;
    EXPECT_EQ(r.body["total_records"], 1) << e;
    ASSERT_EQ(r.body["_embedded"]["osdi:petitions"].size(), 1u) << e;
    EXPECT_EQ(Id(r.body["_embedded"]["osdi:petitions"][0]), id);
  }
  EXPECT_EQ(filter("identifier eq 'foreign_system:12'").body["total_records"], 0);
  EXPECT_EQ(filter("identifier eq 'foreign_system:%'").body["total_records"], 0);
  EXPECT_EQ(filter("identifier eq 'foreign_system:1234' and undersigned:status eq 'closed'", token_)
                .body["total_records"],
            0);
  // Other petitions are not found by it; a draft carrying it only with a token.
  CreatePetition("No ids");
  json draft =
      CreatePetition("Draft with the id",
                     R"(,"undersigned:status":"draft","identifiers":["foreign_system:1234"])");
  EXPECT_EQ(filter("identifier eq 'foreign_system:1234'").body["total_records"], 1);
  Reply both = filter("identifier eq 'foreign_system:1234'", token_);
  EXPECT_EQ(both.body["total_records"], 2);
  ASSERT_EQ(both.body["_embedded"]["osdi:petitions"].size(), 2u);
  EXPECT_EQ(Id(both.body["_embedded"]["osdi:petitions"][0]), Id(draft));  // newest first

  // Bad identifiers are a 400 naming the field, and change nothing.
  Reply bad = Call("PUT", "/api/v2/petitions/" + id, R"({"identifiers":["nocolon"]})", token_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("identifiers[0]"), std::string::npos)
      << bad.raw.body;
  bad = Call("POST", "/api/v2/petitions",
             R"({"title":"T","target":[{"name":"J"}],"identifiers":"foreign_system:1"})", token_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("identifiers"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id).body["identifiers"], upd.body["identifiers"]);
}

TEST_F(ApiTest, DraftsAreHiddenWithoutAToken) {
  json draft = CreatePetition("Draft one", R"(,"undersigned:status":"draft")");
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(draft)).status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(draft), "", token_).status, 200);
  Reply sign = Call("POST", "/api/v2/petitions/" + Id(draft) + "/signatures",
                    SignBody("ada@example.org"), token_);
  EXPECT_EQ(sign.status, 409);
}

TEST_F(ApiTest, RecordSignatureWithoutTokenWaitsForConfirmation) {
  json p = CreatePetition("Sign me");
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures";
  Reply r = Call("POST", sigs, SignBody("ada@example.org"));
  ASSERT_EQ(r.status, 200) << r.raw.body;
  EXPECT_EQ(r.body, json::object());
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(p)).body["total_signatures"], 0);

  // Reading signatures needs a token.
  EXPECT_EQ(Call("GET", sigs).status, 401);
  Reply list = Call("GET", sigs, "", token_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["total_records"], 1);
  const json& s = list.body["_embedded"]["osdi:signatures"][0];
  EXPECT_EQ(s["undersigned:state"], "pending");
  EXPECT_EQ(s["comments"], "Count me in");
  EXPECT_TRUE(s["_links"].contains("osdi:person"));

  // A wrong token is 401 even on the helper.
  EXPECT_EQ(Call("POST", sigs, SignBody("bob@example.org"), "us_nope").status, 401);
  // Bad input is reported, not swallowed.
  Reply bad = Call("POST", sigs, SignBody("not-an-email"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.body["fields"].contains("person.email_addresses[0].address")) << bad.raw.body;
  EXPECT_EQ(Call("POST", sigs, R"({"comments":"who am I"})").status, 400);
  EXPECT_EQ(Call("POST", sigs, "x", "", "text/plain").status, 415);
  EXPECT_EQ(Call("POST", sigs, "{\"person\":{\"given_name\":\"\xc0\xaf\"}}").status, 400);
  EXPECT_EQ(Call("POST", sigs, "[]").status, 400);
  EXPECT_EQ(Call("POST", "/api/v2/petitions/00000000-0000-4000-8000-000000000000/signatures",
                 SignBody("ada@example.org"))
                .status,
            404);
  // Linking an existing person needs a token.
  EXPECT_EQ(
      Call("POST", sigs, R"({"_links":{"osdi:person":{"href":"https://x/api/v2/people/abc"}}})")
          .status,
      401);
}

TEST_F(ApiTest, RecordSignatureWithTokenCountsAtOnce) {
  json p = CreatePetition("Count now");
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures/";
  Reply r = Call("POST", sigs, SignBody("grace@example.org", "Grace"), token_);
  ASSERT_EQ(r.status, 200) << r.raw.body;
  EXPECT_EQ(r.body["undersigned:state"], "confirmed");
  EXPECT_EQ(r.body["undersigned:source"], "api");
  EXPECT_EQ(r.body["comments"], "Count me in");
  const std::string sid = Id(r.body);
  EXPECT_EQ(r.body["_links"]["self"]["href"],
            std::string(kBase) + "/api/v2/petitions/" + Id(p) + "/signatures/" + sid);
  std::string person_href = r.body["_links"]["osdi:person"]["href"];
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(p)).body["total_signatures"], 1);

  Reply got = Call("GET", "/api/v2/petitions/" + Id(p) + "/signatures/" + sid, "", token_);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["identifiers"], r.body["identifiers"]);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(p) + "/signatures/" + sid).status, 401);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(p) + "/signatures/nope", "", token_).status, 404);
  // The signature does not belong to another petition.
  json other = CreatePetition("Other one");
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(other) + "/signatures/" + sid, "", token_).status,
            404);

  // Sign the other petition as the same person, by link.
  Reply linked = Call("POST", "/api/v2/petitions/" + Id(other) + "/signatures",
                      R"({"_links":{"osdi:person":{"href":")" + person_href + R"("}}})", token_);
  ASSERT_EQ(linked.status, 200) << linked.raw.body;
  EXPECT_EQ(linked.body["_links"]["osdi:person"]["href"], person_href);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(other)).body["total_signatures"], 1);
  Reply unknown = Call("POST", "/api/v2/petitions/" + Id(other) + "/signatures",
                       R"({"_links":{"osdi:person":{"href":")" + std::string(kBase) +
                           R"(/api/v2/people/00000000-0000-4000-8000-000000000000"}}})",
                       token_);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body["error"], "You must specify a valid person id");

  // background_request=true answers {} but still records (and counts) the signature.
  Reply bg =
      Call("POST", sigs + "?background_request=true", SignBody("hopper@example.org"), token_);
  ASSERT_EQ(bg.status, 200);
  EXPECT_EQ(bg.body, json::object());
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + Id(p)).body["total_signatures"], 2);
}

// A token made with a scope (AccountService::CreateApiToken) reaches only what it names.
TEST_F(ApiTest, ScopedTokensReachOnlyTheirScope) {
  json mine = CreatePetition("Mine");
  json theirs = CreatePetition("Theirs");
  auto mine_campaign = store_->GetCampaignByUuid(Id(mine));
  ASSERT_TRUE(mine_campaign) << mine_campaign.error().message;
  auto make = [&](const std::string& raw, ApiTokenScope scope) {
    auto t = store_->accounts().CreateScopedApiToken(raw, service::HashToken(raw), scope, 1);
    EXPECT_TRUE(t) << t.error().message;
  };
  const std::string one = "scoped-to-one-petition-token";
  const std::string reader = "read-only-everywhere-token";
  make(one, ApiTokenScope{std::nullopt, mine_campaign->id, false});
  make(reader, ApiTokenScope{std::nullopt, std::nullopt, true});
  const std::string m = "/api/v2/petitions/" + Id(mine);
  const std::string t = "/api/v2/petitions/" + Id(theirs);

  // One petition: it and what is under it, nothing else.
  EXPECT_EQ(Call("GET", "/api/v2", "", one).status, 200);
  EXPECT_EQ(Call("GET", m, "", one).status, 200);
  Reply signed_mine = Call("POST", m + "/signatures", SignBody("ada@example.org", "Ada"), one);
  EXPECT_EQ(signed_mine.status, 200) << signed_mine.raw.body;
  EXPECT_EQ(Call("GET", m + "/signatures", "", one).status, 200);
  Reply other = Call("POST", t + "/signatures", SignBody("bob@example.org", "Bob"), one);
  EXPECT_EQ(other.status, 403);
  EXPECT_NE(other.raw.body.find("another petition"), std::string::npos) << other.raw.body;
  EXPECT_EQ(Call("GET", t + "/signatures", "", one).status, 403);
  Reply list = Call("GET", "/api/v2/petitions", "", one);
  EXPECT_EQ(list.status, 403);
  EXPECT_NE(list.raw.body.find("one petition only"), std::string::npos) << list.raw.body;
  EXPECT_EQ(Call("POST", "/api/v2/petitions", R"({"title":"New"})", one).status, 403);
  EXPECT_EQ(Call("GET", "/api/v2/people", "", one).status, 403);

  // Read-only: every petition and person to read, no change anywhere.
  EXPECT_EQ(Call("GET", "/api/v2/petitions", "", reader).status, 200);
  EXPECT_EQ(Call("GET", t + "/signatures", "", reader).status, 200);
  EXPECT_EQ(Call("GET", "/api/v2/people", "", reader).status, 200);
  Reply write = Call("POST", t + "/signatures", SignBody("cy@example.org", "Cy"), reader);
  EXPECT_EQ(write.status, 403);
  EXPECT_NE(write.raw.body.find("read-only"), std::string::npos) << write.raw.body;
  EXPECT_EQ(Call("PUT", m, R"({"title":"Renamed"})", reader).status, 403);
  EXPECT_EQ(Call("POST", "/api/v2/petitions", R"({"title":"New"})", reader).status, 403);
  EXPECT_EQ(Call("GET", t).body["total_signatures"], 0);  // nothing was recorded there
  EXPECT_EQ(Call("GET", m).body["total_signatures"], 1);

  // A token an organizer made works while they manage the campaign's tokens, and stops once
  // they are demoted (after the token cache's 30 s at most).
  auto owner = store_->accounts().CreateUser(NewUser{"owner@example.org", "", false, 1});
  ASSERT_TRUE(owner) << owner.error().message;
  ASSERT_TRUE(
      store_->accounts().AddMembership(owner->id, mine_campaign->id, CampaignRole::kOwner, 1));
  const std::string owned = "owned-by-an-organizer-token";
  make(owned, ApiTokenScope{owner->id, mine_campaign->id, false});
  EXPECT_EQ(Call("GET", m + "/signatures", "", owned).status, 200);
  ASSERT_TRUE(
      store_->accounts().ChangeMembership(owner->id, mine_campaign->id, CampaignRole::kEditor, 2));
  clock_.Advance(31);
  EXPECT_EQ(Call("GET", m + "/signatures", "", owned).status, 401);
}

TEST_F(ApiTest, SignaturesPaginateAndFilter) {
  json p = CreatePetition("Many");
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Call("POST", sigs, SignBody("p" + std::to_string(i) + "@example.org"), token_).status,
              200);
    clock_.Advance(3600);
  }
  Reply page = Call("GET", sigs + "?per_page=2&page=2", "", token_);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body["total_records"], 3);
  EXPECT_EQ(page.body["total_pages"], 2);
  EXPECT_EQ(page.body["_embedded"]["osdi:signatures"].size(), 1u);
  Reply past = Call("GET", sigs + "?page=5", "", token_);
  EXPECT_EQ(past.status, 200);
  EXPECT_TRUE(past.body["_embedded"]["osdi:signatures"].empty());
  Reply recent =
      Call("GET", sigs + "?filter=" + PercentEncode("modified_date gt '2023-11-14T23:00:00Z'"), "",
           token_);
  ASSERT_EQ(recent.status, 200) << recent.raw.body;
  EXPECT_EQ(recent.body["total_records"], 2);
}

TEST_F(ApiTest, People) {
  json p = CreatePetition("People");
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures";
  ASSERT_EQ(Call("POST", sigs, SignBody("ada.lovelace+petitions@gmail.com"), token_).status, 200);
  clock_.Advance(100);
  ASSERT_EQ(Call("POST", sigs, SignBody("bob@example.org", "Bob")).status, 200);

  EXPECT_EQ(Call("GET", "/api/v2/people").status, 401);
  Reply all = Call("GET", "/api/v2/people", "", token_);
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body["total_records"], 2);

  // Matched by canonical email: case, +tag and Gmail dots do not matter.
  Reply ada = Call(
      "GET", "/api/v2/people?filter=" + PercentEncode("email_address eq 'AdaLovelace@GMAIL.com'"),
      "", token_);
  ASSERT_EQ(ada.status, 200) << ada.raw.body;
  ASSERT_EQ(ada.body["total_records"], 1);
  const json& person = ada.body["_embedded"]["osdi:people"][0];
  EXPECT_EQ(person["given_name"], "Ada");
  EXPECT_EQ(person["family_name"], "Lovelace");
  EXPECT_EQ(person["email_addresses"][0]["primary"], true);
  EXPECT_EQ(person["postal_addresses"][0]["postal_code"], "N1 9GU");

  Reply nobody =
      Call("GET", "/api/v2/people?filter=" + PercentEncode("email_address eq 'nobody@example.org'"),
           "", token_);
  EXPECT_EQ(nobody.status, 200);
  EXPECT_TRUE(nobody.body["_embedded"]["osdi:people"].empty());

  Reply later = Call(
      "GET", "/api/v2/people?filter=" + PercentEncode("modified_date gt '2023-11-14T22:14:00Z'"),
      "", token_);
  EXPECT_EQ(later.body["total_records"], 1);

  const std::string pid = Id(person);
  Reply one = Call("GET", "/api/v2/people/" + pid, "", token_);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body["identifiers"], person["identifiers"]);
  EXPECT_EQ(Call("GET", "/api/v2/people/" + pid).status, 401);
  EXPECT_EQ(Call("GET", "/api/v2/people/nope", "", token_).status, 404);
  Reply by_id = Call(
      "GET", "/api/v2/people?filter=" + PercentEncode("identifier eq 'undersigned:" + pid + "'"),
      "", token_);
  EXPECT_EQ(by_id.body["total_records"], 1);
  Reply bad = Call("GET", "/api/v2/people?filter=" + PercentEncode("region eq 'MN'"), "", token_);
  EXPECT_EQ(bad.status, 400);
}

// The person signup helper matches by canonical email, creates or updates; PUT changes the
// person's own fields but never their address.
TEST_F(ApiTest, PersonSignupHelperAndUpdate) {
  const std::string helper =
      R"({"person":{"given_name":"Ada","family_name":"Lovelace","email_addresses":)"
      R"([{"address":"ada@example.org","status":"subscribed"}],"postal_addresses":)"
      R"([{"postal_code":"N1 9GU","country":"gb"}],"custom_fields":{}},"add_tags":["v"]})";
  EXPECT_EQ(Call("POST", "/api/v2/people", helper).status, 401);
  Reply made = Call("POST", "/api/v2/people", helper, token_);
  ASSERT_EQ(made.status, 200) << made.raw.body;
  EXPECT_EQ(made.body["given_name"], "Ada");
  EXPECT_EQ(made.body["email_addresses"][0]["status"], "subscribed");
  EXPECT_EQ(made.body["postal_addresses"][0]["country"], "GB");
  EXPECT_EQ(made.body["created_date"], made.body["modified_date"]);
  const std::string pid = Id(made.body);
  EXPECT_EQ(made.body["_links"]["osdi:signatures"]["href"],
            std::string(kBase) + "/api/v2/people/" + pid + "/signatures");

  clock_.Advance(60);
  Reply again = Call("POST", "/api/v2/people",
                     R"({"person":{"family_name":"King","email_addresses":[{"address":")"
                     R"(ADA@example.org"}]}})",
                     token_);
  ASSERT_EQ(again.status, 200) << again.raw.body;
  EXPECT_EQ(Id(again.body), pid);
  EXPECT_EQ(again.body["given_name"], "Ada");
  EXPECT_EQ(again.body["family_name"], "King");
  EXPECT_NE(again.body["created_date"], again.body["modified_date"]);

  Reply no_email = Call("POST", "/api/v2/people", R"({"person":{"given_name":"X"}})", token_);
  EXPECT_EQ(no_email.status, 400);
  EXPECT_TRUE(no_email.body["fields"].contains("person.email_addresses")) << no_email.raw.body;
  Reply bad_email = Call("POST", "/api/v2/people",
                         R"({"person":{"email_addresses":[{"address":"nope"}]}})", token_);
  EXPECT_EQ(bad_email.status, 400);
  EXPECT_TRUE(bad_email.body["fields"].contains("person.email_addresses[0].address"))
      << bad_email.raw.body;

  Reply put = Call("PUT", "/api/v2/people/" + pid,
                   R"({"given_name":"Augusta","email_addresses":[{"address":"ada@example.org",)"
                   R"("status":"unsubscribed"}]})",
                   token_);
  ASSERT_EQ(put.status, 200) << put.raw.body;
  EXPECT_EQ(put.body["given_name"], "Augusta");
  EXPECT_EQ(put.body["family_name"], "King");
  EXPECT_EQ(put.body["email_addresses"][0]["status"], "unsubscribed");
  EXPECT_EQ(Call("GET", "/api/v2/people/" + pid, "", token_).body["given_name"], "Augusta");
  Reply move =
      Call("PUT", "/api/v2/people/" + pid, R"({"email_address":"eve@example.org"})", token_);
  EXPECT_EQ(move.status, 400);
  EXPECT_NE(move.raw.body.find("cannot be changed"), std::string::npos) << move.raw.body;
  Reply bad_code = Call("PUT", "/api/v2/people/" + pid,
                        R"({"postal_addresses":[{"postal_code":"<x>"}]})", token_);
  EXPECT_EQ(bad_code.status, 400);
  EXPECT_TRUE(bad_code.body["fields"].contains("postal_addresses[0].postal_code"))
      << bad_code.raw.body;
  EXPECT_EQ(Call("PUT", "/api/v2/people/nope", R"({"given_name":"X"})", token_).status, 404);
  EXPECT_EQ(Call("PUT", "/api/v2/people/" + pid, R"({"given_name":"X"})").status, 401);
}

// A person's signatures, and the Action Network ids every signature carries.
TEST_F(ApiTest, PersonSignaturesAndActionNetworkIds) {
  json p = CreatePetition("Mine");
  json q = CreatePetition("Theirs");
  Reply a = Call("POST", "/api/v2/petitions/" + Id(p) + "/signatures",
                 SignBody("grace@example.org", "Grace"), token_);
  ASSERT_EQ(a.status, 200) << a.raw.body;
  clock_.Advance(10);
  Reply b = Call("POST", "/api/v2/petitions/" + Id(q) + "/signatures",
                 SignBody("grace@example.org", "Grace"), token_);
  ASSERT_EQ(b.status, 200) << b.raw.body;
  ASSERT_EQ(Call("POST", "/api/v2/petitions/" + Id(q) + "/signatures",
                 SignBody("other@example.org", "Other"), token_)
                .status,
            200);
  const std::string person = a.body["action_network:person_id"];
  EXPECT_EQ(b.body["action_network:person_id"], person);
  EXPECT_EQ(a.body["action_network:petition_id"], Id(p));
  EXPECT_EQ(b.body["action_network:petition_id"], Id(q));

  const std::string base = "/api/v2/people/" + person + "/signatures";
  EXPECT_EQ(Call("GET", base).status, 401);
  Reply list = Call("GET", base, "", token_);
  ASSERT_EQ(list.status, 200) << list.raw.body;
  EXPECT_EQ(list.body["total_records"], 2);
  const json& items = list.body["_embedded"]["osdi:signatures"];
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(Id(items[0]), Id(b.body));  // newest first
  EXPECT_EQ(Id(items[1]), Id(a.body));
  EXPECT_EQ(items[1]["_links"]["osdi:petition"]["href"],
            std::string(kBase) + "/api/v2/petitions/" + Id(p));
  Reply page2 = Call("GET", base + "?page=2&per_page=1", "", token_);
  EXPECT_EQ(Id(page2.body["_embedded"]["osdi:signatures"][0]), Id(a.body));
  Reply past = Call("GET", base + "?page=9", "", token_);
  EXPECT_EQ(past.status, 200);
  EXPECT_TRUE(past.body["_embedded"]["osdi:signatures"].empty());

  Reply one = Call("GET", base + "/" + Id(a.body), "", token_);
  ASSERT_EQ(one.status, 200) << one.raw.body;
  EXPECT_EQ(one.body["comments"], "Count me in");
  // Someone else's signature is not under this person.
  Reply others =
      Call("GET", "/api/v2/people?filter=" + PercentEncode("email_address eq 'other@example.org'"),
           "", token_);
  const std::string other = Id(others.body["_embedded"]["osdi:people"][0]);
  EXPECT_EQ(Call("GET", "/api/v2/people/" + other + "/signatures/" + Id(a.body), "", token_).status,
            404);
  EXPECT_EQ(Call("GET", "/api/v2/people/nope/signatures", "", token_).status, 404);
}

// PUT on a signature changes its comments only; Parsons sends it form-encoded under
// Content-Type: application/json.
TEST_F(ApiTest, UpdateSignatureComments) {
  json p = CreatePetition("Comments");
  Reply s = Call("POST", "/api/v2/petitions/" + Id(p) + "/signatures",
                 SignBody("lin@example.org", "Lin"), token_);
  ASSERT_EQ(s.status, 200) << s.raw.body;
  const std::string path = "/api/v2/petitions/" + Id(p) + "/signatures/" + Id(s.body);
  EXPECT_EQ(Call("PUT", path, R"({"comments":"x"})").status, 401);

  Reply form = Call("PUT", path, "comments=Some+new+comments", token_);
  ASSERT_EQ(form.status, 200) << form.raw.body;
  EXPECT_EQ(form.body["comments"], "Some new comments");
  Reply json_put = Call("PUT", path, R"({"comments":"Newer"})", token_);
  ASSERT_EQ(json_put.status, 200) << json_put.raw.body;
  EXPECT_EQ(Call("GET", path, "", token_).body["comments"], "Newer");

  // The signature is public-named or not; asking for the other is refused.
  json current = Call("GET", path, "", token_).body;
  const bool named = current["undersigned:public_name"];
  const std::string flip_visibility =
      json{{"comments", "x"}, {"undersigned:visibility", named ? "private" : "public"}}.dump();
  const std::string flip_name = json{{"comments", "x"}, {"undersigned:public_name", !named}}.dump();
  for (const std::string& body : {flip_visibility, flip_name,
                                  std::string(R"({"comments":"x","person":{"given_name":"Eve"}})"),
                                  std::string(R"({"comments":"x","_links":{"osdi:person":)"
                                              R"({"href":"/api/v2/people/)"
                                              R"(00000000-0000-4000-8000-000000000000"}}})")}) {
    Reply r = Call("PUT", path, body, token_);
    EXPECT_EQ(r.status, 403) << body;
  }
  EXPECT_EQ(Call("PUT", path, R"({"undersigned:group":"public"})", token_).status, 400);
  EXPECT_EQ(Call("PUT", path, "{not json", token_).status, 400);
  Reply too_long = Call("PUT", path, json{{"comments", std::string(5000, 'x')}}.dump(), token_);
  EXPECT_EQ(too_long.status, 400);
  EXPECT_TRUE(too_long.body["fields"].contains("comments")) << too_long.raw.body;
  // A round trip of the resource with new comments is fine.
  json doc = Call("GET", path, "", token_).body;
  doc["comments"] = "Round trip";
  Reply round = Call("PUT", path, doc.dump(), token_);
  ASSERT_EQ(round.status, 200) << round.raw.body;
  EXPECT_EQ(round.body["comments"], "Round trip");
  EXPECT_EQ(round.body["undersigned:public_name"], doc["undersigned:public_name"]);
  json other = CreatePetition("Elsewhere");
  EXPECT_EQ(Call("PUT", "/api/v2/petitions/" + Id(other) + "/signatures/" + Id(s.body),
                 R"({"comments":"x"})", token_)
                .status,
            404);
}

// Parsons' create_signature sends its payload as query parameters with an empty body.
TEST_F(ApiTest, RecordSignatureFromQueryParameters) {
  json p = CreatePetition("Query");
  Reply made =
      Call("POST", "/api/v2/people",
           R"({"person":{"given_name":"Kim","email_addresses":[{"address":"kim@example.org"}]}})",
           token_);
  ASSERT_EQ(made.status, 200) << made.raw.body;
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures";
  Reply r = Call("POST", sigs + "?comments=Stop+it&person_id=" + Id(made.body), "", token_);
  ASSERT_EQ(r.status, 200) << r.raw.body;
  EXPECT_EQ(r.body["comments"], "Stop it");
  EXPECT_EQ(r.body["action_network:person_id"], Id(made.body));
  Reply flat = Call("POST", sigs + "?email_address=lee%40example.org&given_name=Lee", "", token_);
  ASSERT_EQ(flat.status, 200) << flat.raw.body;
  // A nested _links flattened into the query has lost its href: say so.
  Reply lost = Call("POST", sigs + "?comments=x&_links=osdi%3Aperson", "", token_);
  EXPECT_EQ(lost.status, 400);
  EXPECT_NE(lost.raw.body.find("person_id"), std::string::npos) << lost.raw.body;
  // Nothing usable at all: the JSON error, as before.
  Reply empty = Call("POST", sigs, "", token_);
  EXPECT_EQ(empty.status, 400);
}

// ---------------------------------------------------------------- secondary targets

TEST_F(ApiTest, PetitionSecondaryTargetsAreSetReadAndChecked) {
  json p = CreateGroupPetition(3);
  const std::string id = Id(p);
  EXPECT_EQ(p["undersigned:secondary_targets"], json::array());
  Reply set = Call("PUT", "/api/v2/petitions/" + id,
                   R"({"undersigned:secondary_targets":[{"name":"Jane Doe","about":"Speaker",)"
                   R"("x_handle":"@janedoe","posts":["{handle}, {count} signed: {url}"]}]})",
                   token_);
  ASSERT_EQ(set.status, 200) << set.raw.body;
  const json jane = {{"name", "Jane Doe"},
                     {"posts", json::array({"{handle}, {count} signed: {url}"})},
                     {"about", "Speaker"},
                     {"x_handle", "janedoe"}};
  EXPECT_EQ(set.body["undersigned:secondary_targets"], json::array({jane}));
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id).body["undersigned:secondary_targets"],
            json::array({jane}));
  // A post with a placeholder we do not fill, or a person without posts: 400, nothing changed.
  Reply bad =
      Call("PUT", "/api/v2/petitions/" + id,
           R"({"undersigned:secondary_targets":[{"name":"Kim","posts":["Hi {name}"]}]})", token_);
  ASSERT_EQ(bad.status, 400) << bad.raw.body;
  EXPECT_NE(bad.body["fields"]["undersigned:secondary_targets"].get<std::string>().find(
                "{name} is not a placeholder"),
            std::string::npos)
      << bad.raw.body;
  Reply shape = Call("PUT", "/api/v2/petitions/" + id,
                     R"({"undersigned:secondary_targets":{"name":"Kim"}})", token_);
  EXPECT_EQ(shape.status, 400);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id).body["undersigned:secondary_targets"],
            json::array({jane}));
  Reply cleared =
      Call("PUT", "/api/v2/petitions/" + id, R"({"undersigned:secondary_targets":null})", token_);
  ASSERT_EQ(cleared.status, 200);
  EXPECT_EQ(cleared.body["undersigned:secondary_targets"], json::array());
}

// ---------------------------------------------------------------- signer groups

TEST_F(ApiTest, PetitionGroupsAreCreatedReadAndUpdated) {
  json p = CreateGroupPetition(3);
  const std::string id = Id(p);
  EXPECT_EQ(p["undersigned:anonymity_floor"], 3);
  ASSERT_EQ(p["undersigned:groups"].size(), 3u);
  EXPECT_EQ(p["undersigned:groups"][0]["kind"], "employees");
  EXPECT_EQ(p["undersigned:groups"][0]["domains"], json::array({"acme.com"}));
  EXPECT_EQ(p["undersigned:groups"][0]["seal_thresholds"], json::array({3}));
  EXPECT_EQ(p["undersigned:groups"][1]["attestation"], "I hold shares in Acme.");
  EXPECT_EQ(p["undersigned:group_counts"][2],
            json({{"key", "public"}, {"name", "Public"}, {"fewer_than", 3}}));
  Reply got = Call("GET", "/api/v2/petitions/" + id);
  EXPECT_EQ(got.body["undersigned:groups"], p["undersigned:groups"]);

  // A floor above a seal (3) would show sealed names while the count reads "fewer than 10".
  Reply up =
      Call("PUT", "/api/v2/petitions/" + id, R"({"undersigned:anonymity_floor":10})", token_);
  ASSERT_EQ(up.status, 400) << up.raw.body;
  EXPECT_NE(up.body["fields"]["undersigned:groups[0].seal_thresholds"].get<std::string>().find(
                "a seal of 3 is below the anonymity floor (10)"),
            std::string::npos)
      << up.raw.body;
  up = Call("PUT", "/api/v2/petitions/" + id, R"({"undersigned:anonymity_floor":2})", token_);
  ASSERT_EQ(up.status, 200) << up.raw.body;
  EXPECT_EQ(up.body["undersigned:anonymity_floor"], 2);
  EXPECT_EQ(up.body["undersigned:groups"], p["undersigned:groups"]);  // kept

  // Bad groups and floors are 400s naming the field, and change nothing.
  const std::pair<const char*, const char*> bad[] = {
      {R"({"undersigned:groups":[{"key":"staff","name":"Staff","kind":"employees",)"
       R"("organization":"Acme"}]})",
       "undersigned:groups[0].domains"},
      {R"({"undersigned:groups":[{"key":"Staff!","name":"Staff"}]})", "undersigned:groups[0].key"},
      {R"({"undersigned:groups":[{"key":"b","name":"Board","kind":"board"}]})",
       "undersigned:groups[0].kind"},
      {R"({"undersigned:groups":[{"key":"a","name":"A"},{"key":"a","name":"B"}]})",
       "undersigned:groups[1].key"},
      {R"({"undersigned:groups":"employees"})", "undersigned:groups"},
      {R"({"undersigned:anonymity_floor":0})", "undersigned:anonymity_floor"},
      {R"({"undersigned:anonymity_floor":true})", "undersigned:anonymity_floor"},
  };
  for (const auto& [body, field] : bad) {
    Reply r = Call("PUT", "/api/v2/petitions/" + id, body, token_);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(r.body["fields"].contains(field)) << body << " -> " << r.raw.body;
    EXPECT_NE(r.body["error"].get<std::string>().find(field), std::string::npos) << r.raw.body;
  }
  Reply bad_create =
      Call("POST", "/api/v2/petitions",
           R"({"title":"T","target":["J"],"undersigned:groups":[{"key":"x"}]})", token_);
  EXPECT_EQ(bad_create.status, 400);
  EXPECT_TRUE(bad_create.body["fields"].contains("undersigned:groups[0].name"))
      << bad_create.raw.body;
  got = Call("GET", "/api/v2/petitions/" + id);
  EXPECT_EQ(got.body["undersigned:anonymity_floor"], 2);
  EXPECT_EQ(got.body["undersigned:groups"], p["undersigned:groups"]);

  // null: no groups (everyone signs as the public), the default floor.
  up = Call("PUT", "/api/v2/petitions/" + id,
            R"({"undersigned:groups":null,"undersigned:anonymity_floor":null})", token_);
  ASSERT_EQ(up.status, 200) << up.raw.body;
  EXPECT_EQ(up.body["undersigned:groups"], json::array());
  EXPECT_EQ(up.body["undersigned:anonymity_floor"], kDefaultAnonymityFloor);
}

TEST_F(ApiTest, GroupCountsAreFewerThanTheFloorThenExact) {
  json p = CreateGroupPetition(3);
  const std::string id = Id(p);
  const std::string sigs = "/api/v2/petitions/" + id + "/signatures";
  auto count_of = [&](const json& petition, const std::string& key) {
    for (const json& g : petition["undersigned:group_counts"]) {
      if (g["key"] == key) return g;
    }
    return json();
  };
  for (int i = 1; i <= 3; ++i) {
    Reply r = Call("POST", sigs, HolderBody("h" + std::to_string(i) + "@example.org"), token_);
    ASSERT_EQ(r.status, 200) << r.raw.body;
    EXPECT_EQ(r.body["undersigned:state"], "confirmed");  // attested: a token counts at once
    EXPECT_EQ(r.body["undersigned:attestation"], "I hold shares in Acme.");
    json got = Call("GET", "/api/v2/petitions/" + id).body;
    EXPECT_EQ(got["total_signatures"], i);  // exact, as ever
    json holders = count_of(got, "shareholders");
    if (i < 3) {
      EXPECT_EQ(holders,
                json({{"key", "shareholders"}, {"name", "Shareholders"}, {"fewer_than", 3}}))
          << i;
    } else {
      EXPECT_EQ(holders,
                json({{"key", "shareholders"}, {"name", "Shareholders"}, {"confirmed", 3}}));
    }
    EXPECT_EQ(count_of(got, "employees")["fewer_than"], 3);
    EXPECT_FALSE(count_of(got, "employees").contains("confirmed"));
  }
  // The list shows the same.
  Reply list = Call("GET", "/api/v2/petitions");
  EXPECT_EQ(count_of(list.body["_embedded"]["osdi:petitions"][0], "shareholders")["confirmed"], 3);
}

TEST_F(ApiTest, ATokenDoesNotVerifyAnEmployee) {
  json p = CreateGroupPetition(1);
  const std::string id = Id(p);
  const std::string sigs = "/api/v2/petitions/" + id + "/signatures";
  Reply r = Call("POST", sigs, EmployeeBody("bob@acme.com", "Bob"), token_);
  ASSERT_EQ(r.status, 200) << r.raw.body;
  EXPECT_EQ(r.body["undersigned:state"], "pending");
  EXPECT_EQ(r.body["undersigned:group"], "employees");
  EXPECT_EQ(r.body["undersigned:verified"], false);
  EXPECT_EQ(r.body["undersigned:visibility"], "private");
  EXPECT_FALSE(r.body["_links"].contains("osdi:person"));  // a work address is nobody's person
  EXPECT_EQ(r.raw.body.find("bob@acme.com"), std::string::npos);
  json got = Call("GET", "/api/v2/petitions/" + id).body;
  EXPECT_EQ(got["total_signatures"], 0);
  EXPECT_EQ(got["undersigned:group_counts"][0]["fewer_than"], 1);

  // The link went to the work address; following it confirms and verifies.
  FollowVerifyLink("bob@acme.com");
  Reply after = Follow(r.body["_links"]["self"]["href"], token_);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body["undersigned:state"], "confirmed");
  EXPECT_EQ(after.body["undersigned:verified"], true);
  got = Call("GET", "/api/v2/petitions/" + id).body;
  EXPECT_EQ(got["total_signatures"], 1);
  EXPECT_EQ(got["undersigned:group_counts"][0]["confirmed"], 1);
  EXPECT_EQ(Call("GET", "/api/v2/people", "", token_).body["total_records"], 0);

  // Without a token it is a public action like any other.
  Reply anon = Call("POST", sigs,
                    EmployeeBody("eve@acme.com", "Eve", R"(,"undersigned:visibility":"public")"));
  ASSERT_EQ(anon.status, 200) << anon.raw.body;
  EXPECT_EQ(anon.body, json::object());
}

TEST_F(ApiTest, GroupFieldErrorsNameTheField) {
  json p = CreateGroupPetition(3);
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures";
  for (const std::string& token : {std::string(), token_}) {
    Reply r =
        Call("POST", sigs,
             R"({"person":{"given_name":"X","email_addresses":[{"address":"x@example.org"}]},)"
             R"("undersigned:group":"board"})",
             token);
    EXPECT_EQ(r.status, 400) << r.raw.body;
    ASSERT_TRUE(r.body["fields"].contains("undersigned:group")) << r.raw.body;
    const std::string error = r.body["error"];
    EXPECT_NE(error.find("undersigned:group"), std::string::npos) << error;
    EXPECT_NE(error.find("'board'"), std::string::npos) << error;
    EXPECT_NE(error.find("employees, shareholders, public"), std::string::npos) << error;
  }
  const std::pair<std::string, const char*> bad[] = {
      {R"({"person":{"given_name":"X","email_addresses":[]},"undersigned:group":"employees"})",
       "person.email_addresses"},
      {EmployeeBody("x@example.org", "X"), "undersigned:work_email"},
      {EmployeeBody("x@acme.com", "X", R"(,"undersigned:visibility":"sealed")"),
       "undersigned:seal_threshold"},
      {EmployeeBody("x@acme.com", "X", R"(,"undersigned:visibility":"veiled")"),
       "undersigned:visibility"},
      {R"({"person":{"given_name":"X","email_addresses":[{"address":"x@example.org"}]},)"
       R"("undersigned:group":"shareholders"})",
       "undersigned:attested"},
      {R"({"person":{"given_name":"X","email_addresses":[{"address":"x@example.org"}]},)"
       R"("undersigned:group":"public","undersigned:visibility":"anonymous"})",
       "undersigned:visibility"},
  };
  for (const auto& [body, field] : bad) {
    Reply r = Call("POST", sigs, body, token_);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(r.body["fields"].contains(field)) << body << " -> " << r.raw.body;
  }
  EXPECT_EQ(Call("GET", sigs, "", token_).body["total_records"], 0);
  // A petition without groups has the one public group.
  json plain = CreatePetition("Plain");
  const std::string plain_sigs = "/api/v2/petitions/" + Id(plain) + "/signatures";
  Reply ok = Call("POST", plain_sigs,
                  R"({"person":{"given_name":"X","email_addresses":[{"address":"x@example.org"}]},)"
                  R"("undersigned:group":"public"})",
                  token_);
  ASSERT_EQ(ok.status, 200) << ok.raw.body;
  EXPECT_EQ(ok.body["undersigned:group"], "public");
  EXPECT_TRUE(ok.body["_links"].contains("osdi:person"));
  Reply no =
      Call("POST", plain_sigs,
           SignBody("y@example.org").insert(1, R"("undersigned:group":"employees",)"), token_);
  EXPECT_EQ(no.status, 400);
  EXPECT_NE(no.body["error"].get<std::string>().find("use one of: public"), std::string::npos)
      << no.raw.body;
}

TEST_F(ApiTest, ASealedNameIsInNoResponseBeforeItsReveal) {
  json p = CreateGroupPetition(2);
  const std::string id = Id(p);
  const std::string sigs = "/api/v2/petitions/" + id + "/signatures";
  Reply sealed =
      Call("POST", sigs,
           R"({"person":{"given_name":"SEALEDMARKER","family_name":"Hidden",)"
           R"("email_addresses":[{"address":"sealedmarker.personal@example.org"}],)"
           R"("postal_addresses":[{"postal_code":"SM1 1AA","country":"GB"}]},)"
           R"("comments":"SEALEDMARKER says hi","undersigned:group":"employees",)"
           R"("undersigned:work_email":"hidden@acme.com","undersigned:visibility":"sealed",)"
           R"("undersigned:seal_threshold":3})",
           token_);
  ASSERT_EQ(sealed.status, 200) << sealed.raw.body;
  EXPECT_EQ(sealed.body["undersigned:state"], "pending");
  EXPECT_EQ(sealed.body["undersigned:visibility"], "sealed");
  EXPECT_FALSE(sealed.body["_links"].contains("osdi:person"));
  std::string all = sealed.raw.body;
  // Signing again (a resend) answers the same way.
  Reply again =
      Call("POST", sigs,
           R"({"person":{"given_name":"SEALEDMARKER","email_addresses":)"
           R"([{"address":"sealedmarker.personal@example.org"}]},"undersigned:group":"employees",)"
           R"("undersigned:work_email":"Hidden+again@ACME.com","undersigned:visibility":"sealed",)"
           R"("undersigned:seal_threshold":3})",
           token_);
  ASSERT_EQ(again.status, 200) << again.raw.body;
  all += again.raw.body;
  FollowVerifyLink("Hidden+again@ACME.com");  // the resend has the live link
  ASSERT_EQ(
      Call("POST", sigs,
           EmployeeBody("pat@acme.com", "Pat", R"(,"undersigned:visibility":"public")"), token_)
          .status,
      200);
  FollowVerifyLink("pat@acme.com");
  ASSERT_EQ(Call("POST", sigs, PublicBody("ada@example.org"), token_).status, 200);

  // Every read of the API: petitions, signatures (listed, filtered, one by one), people.
  auto every_response = [&](int signatures) {
    std::string out;
    out += Call("GET", "/api/v2/petitions/" + id).raw.body;
    out += Call("GET", "/api/v2/petitions", "", token_).raw.body;
    Reply list = Call("GET", sigs, "", token_);
    EXPECT_EQ(list.body["total_records"], signatures);
    out += list.raw.body;
    out += Call("GET", sigs + "?filter=" + PercentEncode("undersigned:group eq 'employees'"), "",
                token_)
               .raw.body;
    for (const json& s : list.body["_embedded"]["osdi:signatures"]) {
      Reply one = Follow(s["_links"]["self"]["href"], token_);
      EXPECT_EQ(one.status, 200);
      out += one.raw.body;
      if (one.body["_links"].contains("osdi:person")) {
        out += Follow(one.body["_links"]["osdi:person"]["href"], token_).raw.body;
      }
    }
    Reply people = Call("GET", "/api/v2/people", "", token_);
    out += people.raw.body;
    EXPECT_EQ(people.body["total_records"], 1);  // Ada; employees are nobody's person
    return out;
  };
  all += every_response(3);
  EXPECT_NE(all.find("Count me in"), std::string::npos);  // the reads did read signatures
  for (const char* secret : {"SEALEDMARKER", "sealedmarker", "SM1 1AA", "Hidden", "hidden@"}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in " << all;
  }
  json employees = Call("GET", "/api/v2/petitions/" + id).body["undersigned:group_counts"][0];
  EXPECT_EQ(employees["confirmed"], 2);

  // The third verified employee reveals it: the comment is the signer's again, and public.
  ASSERT_EQ(Call("POST", sigs, EmployeeBody("sam@acme.com", "Sam"), token_).status, 200);
  FollowVerifyLink("sam@acme.com");
  Reply list = Call("GET", sigs + "?filter=" + PercentEncode("undersigned:group eq 'employees'"),
                    "", token_);
  ASSERT_EQ(list.body["total_records"], 3);
  bool found = false;
  for (const json& s : list.body["_embedded"]["osdi:signatures"]) {
    if (s["comments"] != "SEALEDMARKER says hi") continue;
    found = true;
    EXPECT_EQ(s["undersigned:visibility"], "public");
    EXPECT_EQ(s["undersigned:verified"], true);
    EXPECT_FALSE(s["_links"].contains("osdi:person"));
    EXPECT_EQ(s["created_date"], "2023-11-14T00:00:00Z");  // still dated to the day
  }
  EXPECT_TRUE(found) << list.raw.body;
  // Its personal details are still nowhere in the API.
  EXPECT_EQ(every_response(4).find("sealedmarker.personal"), std::string::npos);
}

TEST_F(ApiTest, AnonymousSignaturesAreDatedToTheDay) {
  json p = CreateGroupPetition(1);
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures";
  // 2023-11-14T22:13:20Z.
  Reply r = Call("POST", sigs,
                 R"({"undersigned:group":"employees","undersigned:work_email":"anon@acme.com",)"
                 R"("undersigned:visibility":"anonymous","comments":"We deserve better"})",
                 token_);
  ASSERT_EQ(r.status, 200) << r.raw.body;
  EXPECT_EQ(r.body["undersigned:state"], "pending");
  EXPECT_EQ(r.body["undersigned:visibility"], "anonymous");
  EXPECT_EQ(r.body["created_date"], "2023-11-14T00:00:00Z");
  clock_.Advance(3600);  // confirmed at 23:13:20
  FollowVerifyLink("anon@acme.com");
  ASSERT_EQ(Call("POST", sigs, PublicBody("ada@example.org"), token_).status, 200);

  Reply one = Follow(r.body["_links"]["self"]["href"], token_);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body["undersigned:state"], "confirmed");
  EXPECT_EQ(one.body["undersigned:verified"], true);
  EXPECT_EQ(one.body["undersigned:visibility"], "anonymous");
  EXPECT_EQ(one.body["comments"], "We deserve better");
  for (const char* field :
       {"created_date", "modified_date", "action_date", "undersigned:confirmed_date"}) {
    EXPECT_EQ(one.body[field], "2023-11-14T00:00:00Z") << field;
  }
  EXPECT_FALSE(one.body["_links"].contains("osdi:person"));
  Reply list = Call("GET", sigs, "", token_);
  ASSERT_EQ(list.body["total_records"], 2);
  const json& items = list.body["_embedded"]["osdi:signatures"];
  // Newest first: Ada, a plain signer, keeps her exact time; the anonymous one is day-only.
  EXPECT_EQ(items[0]["created_date"], "2023-11-14T23:13:20Z");
  EXPECT_TRUE(items[0]["_links"].contains("osdi:person"));
  EXPECT_EQ(items[1]["undersigned:visibility"], "anonymous");
  EXPECT_EQ(items[1]["modified_date"], "2023-11-14T00:00:00Z");
  EXPECT_EQ(one.raw.body.find("22:13"), std::string::npos);
  EXPECT_EQ(one.raw.body.find("23:13"), std::string::npos);
}

TEST_F(ApiTest, SignaturesFilterByGroup) {
  json p = CreateGroupPetition(1);
  const std::string id = Id(p);
  const std::string sigs = "/api/v2/petitions/" + id + "/signatures";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        Call("POST", sigs, HolderBody("h" + std::to_string(i) + "@example.org"), token_).status,
        200);
    ASSERT_EQ(
        Call("POST", sigs, PublicBody("p" + std::to_string(i) + "@example.org"), token_).status,
        200);
    clock_.Advance(3600);
  }
  ASSERT_EQ(Call("POST", sigs, EmployeeBody("e@acme.com", "E"), token_).status, 200);
  auto filtered = [&](const std::string& expr, const std::string& paging = "") {
    return Call("GET", sigs + "?filter=" + PercentEncode(expr) + paging, "", token_);
  };
  Reply holders = filtered("undersigned:group eq 'shareholders'");
  ASSERT_EQ(holders.status, 200) << holders.raw.body;
  EXPECT_EQ(holders.body["total_records"], 3);
  for (const json& s : holders.body["_embedded"]["osdi:signatures"]) {
    EXPECT_EQ(s["undersigned:group"], "shareholders");
  }
  Reply page2 = filtered("undersigned:group eq 'shareholders'", "&per_page=2&page=2");
  EXPECT_EQ(page2.body["total_records"], 3);
  EXPECT_EQ(page2.body["total_pages"], 2);
  ASSERT_EQ(page2.body["_embedded"]["osdi:signatures"].size(), 1u);
  EXPECT_EQ(page2.body["_embedded"]["osdi:signatures"][0]["identifiers"],
            holders.body["_embedded"]["osdi:signatures"][2]["identifiers"]);
  EXPECT_NE(page2.body["_links"]["previous"]["href"].get<std::string>().find(
                "filter=undersigned%3Agroup"),
            std::string::npos)
      << page2.raw.body;
  EXPECT_EQ(filtered("undersigned:group eq 'public'").body["total_records"], 3);
  EXPECT_EQ(filtered("undersigned:group eq 'employees'").body["total_records"], 1);
  EXPECT_EQ(
      filtered("undersigned:group eq 'shareholders' and modified_date gt '2023-11-14T23:00:00Z'")
          .body["total_records"],
      2);
  EXPECT_EQ(filtered("undersigned:group eq 'public' and undersigned:group eq 'employees'")
                .body["total_records"],
            0);
  const std::string holder_id = holders.body["_embedded"]["osdi:signatures"][0]["identifiers"][0];
  EXPECT_EQ(filtered("identifier eq '" + holder_id + "' and undersigned:group eq 'shareholders'")
                .body["total_records"],
            1);
  EXPECT_EQ(filtered("identifier eq '" + holder_id + "' and undersigned:group eq 'public'")
                .body["total_records"],
            0);

  Reply unknown = filtered("undersigned:group eq 'board'");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body["error"].get<std::string>().find("no group 'board'"), std::string::npos)
      << unknown.raw.body;
  EXPECT_NE(unknown.body["error"].get<std::string>().find("employees, shareholders, public"),
            std::string::npos);
  Reply bad = filtered("undersigned:group ne 'public'");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("filter:"), std::string::npos);
  // Petitions are not filtered by group.
  EXPECT_EQ(
      Call("GET", "/api/v2/petitions?filter=" + PercentEncode("undersigned:group eq 'public'"))
          .status,
      400);
}

TEST_F(ApiTest, GroupFilterPagesAcrossManyStorePages) {
  // More signatures than the store hands out at once (1000), so the filter reads several pages.
  json p = CreateGroupPetition(1);
  auto campaign = campaigns_->GetByUuid(Id(p));
  ASSERT_TRUE(campaign);
  std::vector<std::string> holders;  // newest first
  service::SignContext trusted;
  trusted.source = "api";
  trusted.trusted = true;
  for (int i = 0; i < 1100; ++i) {
    SignatureForm f;
    f.name = "Signer " + std::to_string(i);
    f.email = "s" + std::to_string(i) + "@example.org";
    if (i % 7 == 0) {
      f.group = "shareholders";
      f.attested = true;
    } else {
      f.group = "public";
    }
    auto r = signing_->Sign(campaign->slug, f, trusted);
    ASSERT_TRUE(r) << r.error().message;
    if (i % 7 == 0) holders.insert(holders.begin(), "undersigned:" + r->signature.uuid);
  }
  const std::string sigs = "/api/v2/petitions/" + Id(p) + "/signatures";
  std::vector<std::string> listed;
  for (int page = 1;; ++page) {
    Reply r = Call("GET",
                   sigs + "?per_page=25&page=" + std::to_string(page) +
                       "&filter=" + PercentEncode("undersigned:group eq 'shareholders'"),
                   "", token_);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.body["total_records"], holders.size());
    for (const json& s : r.body["_embedded"]["osdi:signatures"]) {
      listed.push_back(s["identifiers"][0]);
    }
    if (!r.body["_links"].contains("next")) break;
  }
  EXPECT_EQ(listed, holders);
}

// Co-signing organizations: one approved, one rejected, one waiting for its contact.
TEST_F(ApiTest, OrganizationsAreListedAndFilteredByState) {
  json p = CreatePetition("Save the river");
  const std::string id = Id(p);
  const std::string slug = p["name"];
  service::OrganizationService orgs(*store_, *campaigns_, clock_, nullptr);
  auto confirm_token = [&](const std::string& contact) {
    std::string token;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    EXPECT_TRUE(due);
    for (const OutboxMessage& m : *due) {
      if (m.kind == "org_confirm" && m.recipient == contact) {
        token = json::parse(m.payload).at("confirm_token");
      }
    }
    return token;
  };
  auto submit = [&](const std::string& name, const std::string& contact) {
    auto o = orgs.Submit(
        slug, OrganizationForm{name, "https://foe.example.org", contact, "With you."}, "");
    EXPECT_TRUE(o) << o.error().message;
    clock_.Advance(10);
    return o ? o->uuid : std::string();
  };
  const std::string approved = submit("Approved Org", "a@foe.example.org");
  const std::string rejected = submit("Rejected Org", "r@foe.example.org");
  const std::string pending = submit("Pending Org", "p@foe.example.org");
  ASSERT_TRUE(orgs.Confirm(confirm_token("a@foe.example.org")));
  ASSERT_TRUE(orgs.Confirm(confirm_token("r@foe.example.org")));
  ASSERT_TRUE(orgs.Decide(slug, approved, OrganizationDecision::kApprove));
  ASSERT_TRUE(orgs.Decide(slug, rejected, OrganizationDecision::kReject));

  // The petition links the collection and counts the approved ones.
  Reply petition = Call("GET", "/api/v2/petitions/" + id);
  ASSERT_EQ(petition.status, 200);
  EXPECT_EQ(petition.body["undersigned:organization_count"], 1);
  const std::string href = petition.body["_links"]["undersigned:organizations"]["href"];
  EXPECT_EQ(href, std::string(kBase) + "/api/v2/petitions/" + id + "/organizations");

  // A token holder sees every state, in the order they asked.
  Reply all = Follow(json(href), token_);
  ASSERT_EQ(all.status, 200) << all.raw.body;
  EXPECT_EQ(all.body["total_records"], 3);
  const json& items = all.body["_embedded"]["undersigned:organizations"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(all.body["_links"]["undersigned:organizations"].size(), 3u);
  EXPECT_EQ(items[0]["name"], "Approved Org");
  EXPECT_EQ(items[0]["state"], "approved");
  EXPECT_EQ(items[0]["website"], "https://foe.example.org");
  EXPECT_EQ(items[0]["statement"], "With you.");
  EXPECT_TRUE(items[0]["decided_date"].is_string());
  EXPECT_TRUE(items[0]["logo_url"].is_null());  // none uploaded
  EXPECT_EQ(items[0]["identifiers"][0], "undersigned:" + approved);
  EXPECT_EQ(items[1]["state"], "rejected");
  EXPECT_EQ(items[2]["state"], "pending");
  EXPECT_TRUE(items[2]["decided_date"].is_null());
  EXPECT_EQ(all.raw.body.find("@foe.example.org"), std::string::npos);  // no contact address
  EXPECT_EQ(items[0]["_links"]["osdi:petition"]["href"], p["_links"]["self"]["href"]);

  Reply only = Call(
      "GET",
      "/api/v2/petitions/" + id + "/organizations?filter=" + PercentEncode("state eq 'approved'"),
      "", token_);
  ASSERT_EQ(only.status, 200) << only.raw.body;
  ASSERT_EQ(only.body["total_records"], 1);
  EXPECT_EQ(only.body["_embedded"]["undersigned:organizations"][0]["name"], "Approved Org");
  EXPECT_NE(only.body["_links"]["self"]["href"].get<std::string>().find("filter="),
            std::string::npos);
  Reply waiting = Call("GET",
                       "/api/v2/petitions/" + id + "/organizations?filter=" +
                           PercentEncode("undersigned:state eq 'pending'"),
                       "", token_);
  ASSERT_EQ(waiting.body["total_records"], 1);
  EXPECT_EQ(waiting.body["_embedded"]["undersigned:organizations"][0]["name"], "Pending Org");
  EXPECT_EQ(Call("GET",
                 "/api/v2/petitions/" + id +
                     "/organizations?filter=" + PercentEncode("state eq 'famous'"),
                 "", token_)
                .status,
            400);
  EXPECT_EQ(Call("GET",
                 "/api/v2/petitions/" + id +
                     "/organizations?filter=" + PercentEncode("undersigned:group eq 'x'"),
                 "", token_)
                .status,
            400);

  // Pages.
  Reply first = Call("GET", "/api/v2/petitions/" + id + "/organizations?per_page=2", "", token_);
  EXPECT_EQ(first.body["_embedded"]["undersigned:organizations"].size(), 2u);
  EXPECT_EQ(first.body["total_pages"], 2);
  Reply second = Follow(first.body["_links"]["next"]["href"], token_);
  ASSERT_EQ(second.body["_embedded"]["undersigned:organizations"].size(), 1u);
  EXPECT_EQ(second.body["_embedded"]["undersigned:organizations"][0]["name"], "Pending Org");

  // Without a token: what the campaign page shows.
  Reply pub = Call("GET", "/api/v2/petitions/" + id + "/organizations");
  ASSERT_EQ(pub.status, 200);
  ASSERT_EQ(pub.body["total_records"], 1);
  EXPECT_EQ(pub.body["_embedded"]["undersigned:organizations"][0]["name"], "Approved Org");
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id +
                            "/organizations?filter=" + PercentEncode("state eq 'pending'"))
                .status,
            401);

  // One organization.
  Reply one = Follow(items[0]["_links"]["self"]["href"], "");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body["name"], "Approved Org");
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id + "/organizations/" + pending).status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id + "/organizations/" + pending, "", token_)
                .body["state"],
            "pending");
  EXPECT_EQ(Call("GET", "/api/v2/petitions/" + id + "/organizations/nope", "", token_).status, 404);
  EXPECT_EQ(Call("GET", "/api/v2/petitions/nope/organizations", "", token_).status, 404);
}

TEST_F(ApiTest, MethodsNotRouted) {
  EXPECT_EQ(Call("DELETE", "/api/v2/petitions/x").status, 405);
  EXPECT_EQ(Call("DELETE", "/api/v2/people/x").status, 405);
  EXPECT_EQ(Call("GET", "/api/v2/events").status, 404);
}

class ApiRateLimitTest : public ApiTest {
 protected:
  void SetUp() override { Start(RateLimit{2, 1, true}); }
};

TEST_F(ApiRateLimitTest, PerTokenAndPerAddress) {
  EXPECT_EQ(Call("GET", "/api/v2/people", "", token_).status, 200);
  EXPECT_EQ(Call("GET", "/api/v2/people", "", token_).status, 200);
  Reply limited = Call("GET", "/api/v2/people", "", token_);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("Retry-After"), "1");
  // Another caller (no token, its own address) is not affected.
  EXPECT_EQ(Call("GET", "/api/v2/", "", "", "", "198.51.100.7").status, 200);
  clock_.Advance(1);
  EXPECT_EQ(Call("GET", "/api/v2/people", "", token_).status, 200);

  // Without a token the limit is per address; wrong tokens count there too.
  EXPECT_EQ(Call("GET", "/api/v2/people", "", "us_bad", "", "203.0.113.9").status, 401);
  EXPECT_EQ(Call("GET", "/api/v2/petitions", "", "", "", "203.0.113.9").status, 200);
  EXPECT_EQ(Call("GET", "/api/v2/petitions", "", "", "", "203.0.113.9").status, 429);
}

}  // namespace
}  // namespace undersigned::http
