#include "http/api/filter.h"

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace undersigned::http::api {
namespace {

constexpr UnixTime kJan1 = 1704067200;  // 2024-01-01T00:00:00Z

TEST(ParseFilterTest, EmptyTextGivesNoClauses) {
  auto r = ParseFilter("");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  r = ParseFilter("   ");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST(ParseFilterTest, OneClauseWithSingleQuotes) {
  auto r = ParseFilter("modified_date gt '2024-01-01'");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].field, "modified_date");
  EXPECT_EQ((*r)[0].op, FilterOp::kGt);
  EXPECT_EQ((*r)[0].value, "2024-01-01");
}

TEST(ParseFilterTest, EveryOperatorAnyCase) {
  const std::pair<const char*, FilterOp> cases[] = {{"eq", FilterOp::kEq}, {"NE", FilterOp::kNe},
                                                    {"Gt", FilterOp::kGt}, {"ge", FilterOp::kGe},
                                                    {"lt", FilterOp::kLt}, {"LE", FilterOp::kLe}};
  for (const auto& [word, op] : cases) {
    auto r = ParseFilter(std::string("f ") + word + " 'x'");
    ASSERT_TRUE(r) << word;
    EXPECT_EQ((*r)[0].op, op) << word;
    EXPECT_STREQ(FilterOpName(op), ToLowerAscii(word).c_str());
  }
}

TEST(ParseFilterTest, QuotesAndEscapes) {
  auto r = ParseFilter("email_address eq 'o''brien@example.org'");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].value, "o'brien@example.org");
  r = ParseFilter("email_address eq \"ada@example.org\"");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].value, "ada@example.org");
  r = ParseFilter("title eq 'two words and more'");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].value, "two words and more");  // 'and' inside quotes is text
  r = ParseFilter("modified_date gt 2024-01-01");  // bare value
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].value, "2024-01-01");
  r = ParseFilter("x eq ''");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].value, "");
}

TEST(ParseFilterTest, NamespacedFieldsAndAnd) {
  auto r =
      ParseFilter("  undersigned:status eq 'open'  AND modified_date lt '2024-02-01T10:00:00Z' ");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].field, "undersigned:status");
  EXPECT_EQ((*r)[1].field, "modified_date");
  EXPECT_EQ((*r)[1].op, FilterOp::kLt);
  EXPECT_EQ((*r)[1].value, "2024-02-01T10:00:00Z");
}

TEST(ParseFilterTest, ErrorsSayWhatToFix) {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"modified_date", "operator is missing"},
      {"modified_date gt", "value is missing"},
      {"modified_date after '2024-01-01'", "unknown operator 'after'"},
      {"modified_date gt '2024-01-01", "no closing '"},
      {"a eq 'x' or b eq 'y'", "'or' is not supported"},
      {"a eq 'x' b eq 'y'", "expected 'and'"},
      {"a eq 'x' and", "missing after 'and'"},
      {"(a eq 'x')", "parentheses"},
      {"eq", "operator is missing"},
      {"'x' eq 'y'", "expected a field name"},
      {"a>b eq 'x'", "unexpected character '>'"},
      {"a eq x'y", "single quotes"},
  };
  for (const Case& c : cases) {
    auto r = ParseFilter(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos)
        << c.text << " -> " << r.error().message;
  }
}

TEST(ParseFilterTest, LimitsAndUtf8) {
  EXPECT_FALSE(ParseFilter(std::string(kMaxFilterBytes + 1, 'a')));
  std::string many;
  for (std::size_t i = 0; i <= kMaxFilterClauses; ++i) {
    if (i) many += " and ";
    many += "a eq 'b'";
  }
  auto r = ParseFilter(many);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("at most"), std::string::npos);
  EXPECT_FALSE(ParseFilter("a eq '\xff'"));
}

Result<CollectionFilter> Interpret(const char* text, FilterTarget t) {
  auto clauses = ParseFilter(text);
  if (!clauses) return Fail(clauses.error());
  return InterpretFilter(*clauses, t);
}

TEST(InterpretFilterTest, ModifiedDateBounds) {
  auto r = Interpret("modified_date gt '2024-01-01'", FilterTarget::kPeople);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->time.modified_after, kJan1);
  EXPECT_FALSE(r->time.modified_before);

  r = Interpret("modified_date ge '2024-01-01'", FilterTarget::kPeople);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time.modified_after, kJan1 - 1);  // >= t is > t-1 at second precision

  r = Interpret("modified_date lt '2024-01-01T00:00:10Z'", FilterTarget::kSignatures);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time.modified_before, kJan1 + 10);

  r = Interpret("modified_date le '2024-01-01T00:00:10Z'", FilterTarget::kPetitions);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time.modified_before, kJan1 + 11);
  EXPECT_FALSE(r->empty_result);
}

TEST(InterpretFilterTest, SeveralBoundsIntersect) {
  auto r = Interpret(
      "modified_date gt '2024-01-01' and modified_date gt '2023-01-01' and "
      "modified_date lt '2024-03-01' and modified_date lt '2024-02-01'",
      FilterTarget::kPetitions);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->time.modified_after, kJan1);
  EXPECT_EQ(r->time.modified_before, kJan1 + 31 * 86400);
  EXPECT_FALSE(r->empty_result);

  r = Interpret("modified_date gt '2024-02-01' and modified_date lt '2024-01-01'",
                FilterTarget::kPetitions);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty_result);
  // gt t and lt t+1 leaves no whole second.
  r = Interpret(
      "modified_date gt '2024-01-01T00:00:00Z' and modified_date lt "
      "'2024-01-01T00:00:01Z'",
      FilterTarget::kPetitions);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty_result);
  // ge t and le t is exactly t.
  r = Interpret("modified_date ge '2024-01-01' and modified_date le '2024-01-01'",
                FilterTarget::kPetitions);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->empty_result);
}

TEST(InterpretFilterTest, BadDatesAndOperators) {
  auto r = Interpret("modified_date gt 'yesterday'", FilterTarget::kPeople);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("2024-01-31"), std::string::npos);
  r = Interpret("modified_date eq '2024-01-01'", FilterTarget::kPeople);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("operator eq is not supported on modified_date"),
            std::string::npos)
      << r.error().message;
  r = Interpret("email_address ne 'a@b.org'", FilterTarget::kPeople);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("email_address (eq)"), std::string::npos);
}

TEST(InterpretFilterTest, UnsupportedFieldsNameTheSupportedOnes) {
  auto r = Interpret("created_date gt '2024-01-01'", FilterTarget::kPeople);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("cannot filter people on 'created_date'"), std::string::npos);
  EXPECT_NE(r.error().message.find("email_address"), std::string::npos);
  EXPECT_NE(r.error().message.find("modified_date"), std::string::npos);

  r = Interpret("email_address eq 'a@b.org'", FilterTarget::kPetitions);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("undersigned:status"), std::string::npos);

  r = Interpret("undersigned:status eq 'open'", FilterTarget::kSignatures);
  ASSERT_FALSE(r);
}

TEST(InterpretFilterTest, EmailIdentifierStatus) {
  auto r = Interpret("email_address eq ' Ada@Example.org '", FilterTarget::kPeople);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->email, "Ada@Example.org");  // canonicalised by the caller

  r = Interpret("email_address eq 'nobody'", FilterTarget::kPeople);
  ASSERT_FALSE(r);

  r = Interpret("email_address eq 'a@b.org' and email_address eq 'c@d.org'", FilterTarget::kPeople);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty_result);

  r = Interpret("identifier eq 'undersigned:abc'", FilterTarget::kSignatures);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->identifier, "undersigned:abc");
  EXPECT_FALSE(Interpret("identifier eq 'abc'", FilterTarget::kSignatures));

  r = Interpret("undersigned:status eq 'closed'", FilterTarget::kPetitions);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, CampaignStatus::kClosed);
  EXPECT_FALSE(Interpret("undersigned:status eq 'live'", FilterTarget::kPetitions));
}

TEST(InterpretFilterTest, SignaturesByGroup) {
  auto r = Interpret("undersigned:group eq 'employees'", FilterTarget::kSignatures);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->group, "employees");
  EXPECT_FALSE(r->empty_result);

  r = Interpret("undersigned:group eq \"acme-staff-2\" and modified_date gt '2024-01-01'",
                FilterTarget::kSignatures);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->group, "acme-staff-2");
  EXPECT_EQ(r->time.modified_after, kJan1);

  r = Interpret("undersigned:group eq 'employees' and undersigned:group eq 'public'",
                FilterTarget::kSignatures);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty_result);

  // Only eq; only a group key; only on signatures.
  r = Interpret("undersigned:group ne 'employees'", FilterTarget::kSignatures);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("operator ne is not supported on undersigned:group"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("undersigned:group (eq)"), std::string::npos);
  for (const char* bad : {"undersigned:group eq 'Employees'", "undersigned:group eq ''",
                          "undersigned:group eq 'a b'", "undersigned:group eq 'x''y'"}) {
    r = Interpret(bad, FilterTarget::kSignatures);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find("filter: undersigned:group needs the key"), std::string::npos)
        << bad;
  }
  r = Interpret("undersigned:group eq 'employees'", FilterTarget::kPeople);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot filter people on 'undersigned:group'"),
            std::string::npos);
  EXPECT_NE(SupportedFilters(FilterTarget::kSignatures).find("undersigned:group (eq)"),
            std::string::npos);
  EXPECT_EQ(SupportedFilters(FilterTarget::kPetitions).find("undersigned:group"),
            std::string::npos);
}

}  // namespace
}  // namespace undersigned::http::api
