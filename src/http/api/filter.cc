#include "http/api/filter.h"

#include <algorithm>

#include "core/clock.h"
#include "core/utf8.h"

namespace undersigned::http::api {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsFieldChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

std::optional<FilterOp> ParseOp(std::string_view word) {
  std::string w = ToLowerAscii(word);
  if (w == "eq") return FilterOp::kEq;
  if (w == "ne") return FilterOp::kNe;
  if (w == "gt") return FilterOp::kGt;
  if (w == "ge") return FilterOp::kGe;
  if (w == "lt") return FilterOp::kLt;
  if (w == "le") return FilterOp::kLe;
  return std::nullopt;
}

// A small cursor over the filter text.
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= s_.size();
  }
  // A run of non-space characters (may be empty at the end).
  std::string_view Word() {
    SkipSpace();
    std::size_t start = pos_;
    while (pos_ < s_.size() && !IsSpace(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  std::string_view Field() {
    SkipSpace();
    std::size_t start = pos_;
    while (pos_ < s_.size() && IsFieldChar(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  // Next non-space character, or '\0' at the end.
  char Peek() {
    SkipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  std::size_t pos() const { return pos_; }

  // A quoted or bare value.
  Result<std::string> Value() {
    SkipSpace();
    if (pos_ >= s_.size()) {
      return Fail(Code::kInvalidArgument,
                  "filter: a value is missing at the end; write it as "
                  "field op 'value'");
    }
    char q = s_[pos_];
    if (q == '\'' || q == '"') {
      std::string out;
      ++pos_;
      while (pos_ < s_.size()) {
        char c = s_[pos_++];
        if (c == q) {
          if (q == '\'' && pos_ < s_.size() && s_[pos_] == '\'') {  // '' is a quote
            out += '\'';
            ++pos_;
            continue;
          }
          return out;
        }
        out += c;
      }
      return Fail(Code::kInvalidArgument,
                  std::string("filter: a value starting with ") + q + " has no closing " + q);
    }
    std::string_view w = Word();
    if (w.find_first_of("'\"()") != std::string_view::npos) {
      return Fail(Code::kInvalidArgument,
                  "filter: put the value in single quotes, e.g. modified_date gt '2024-01-01'");
    }
    return std::string(w);
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

Error Invalid(std::string message) {
  return Error{Code::kInvalidArgument, std::move(message), {}, 0};
}

const char* TargetName(FilterTarget t) {
  switch (t) {
    case FilterTarget::kPetitions:
      return "petitions";
    case FilterTarget::kSignatures:
      return "signatures";
    case FilterTarget::kPeople:
      return "people";
    case FilterTarget::kOrganizations:
      return "organizations";
  }
  return "this collection";
}

bool Supports(FilterTarget t, std::string_view field) {
  if (field == "modified_date" || field == "identifier") return true;
  if (t == FilterTarget::kPeople) return field == "email_address";
  if (t == FilterTarget::kPetitions) return field == "undersigned:status";
  if (t == FilterTarget::kSignatures) return field == "undersigned:group";
  if (t == FilterTarget::kOrganizations) return field == "state" || field == "undersigned:state";
  return false;
}

}  // namespace

const char* FilterOpName(FilterOp op) {
  switch (op) {
    case FilterOp::kEq:
      return "eq";
    case FilterOp::kNe:
      return "ne";
    case FilterOp::kGt:
      return "gt";
    case FilterOp::kGe:
      return "ge";
    case FilterOp::kLt:
      return "lt";
    case FilterOp::kLe:
      return "le";
  }
  return "eq";
}

Result<std::vector<FilterClause>> ParseFilter(std::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    return Fail(Code::kInvalidArgument,
                "filter: too long (at most " + std::to_string(kMaxFilterBytes) + " bytes)");
  }
  if (!IsValidUtf8(text)) return Fail(Code::kInvalidArgument, "filter: not valid UTF-8");
  std::vector<FilterClause> clauses;
  Lexer lex(text);
  while (!lex.AtEnd()) {
    if (!clauses.empty()) {
      std::string joiner = ToLowerAscii(lex.Word());
      if (joiner == "or") {
        return Fail(Code::kInvalidArgument,
                    "filter: 'or' is not supported; join conditions with 'and' or make "
                    "several requests");
      }
      if (joiner != "and") {
        return Fail(Code::kInvalidArgument,
                    "filter: expected 'and' between conditions, found '" + joiner + "'");
      }
      if (lex.AtEnd()) {
        return Fail(Code::kInvalidArgument, "filter: a condition is missing after 'and'");
      }
    }
    if (lex.Peek() == '(' || lex.Peek() == ')') {
      return Fail(Code::kInvalidArgument, "filter: parentheses are not supported");
    }
    FilterClause clause;
    clause.field = std::string(lex.Field());
    if (clause.field.empty()) {
      return Fail(Code::kInvalidArgument,
                  "filter: expected a field name such as modified_date, written as "
                  "field op 'value'");
    }
    if (lex.pos() < text.size() && !IsSpace(text[lex.pos()])) {
      return Fail(Code::kInvalidArgument, "filter: unexpected character '" +
                                              std::string(1, text[lex.pos()]) +
                                              "' in field name '" + clause.field + "'");
    }
    std::string_view op_word = lex.Word();
    if (op_word.empty()) {
      return Fail(Code::kInvalidArgument, "filter: an operator is missing after '" + clause.field +
                                              "'; use one of eq, ne, gt, ge, lt, le");
    }
    auto op = ParseOp(op_word);
    if (!op) {
      return Fail(Code::kInvalidArgument, "filter: unknown operator '" + std::string(op_word) +
                                              "'; use one of eq, ne, gt, ge, lt, le");
    }
    clause.op = *op;
    auto value = lex.Value();
    if (!value) return Fail(value.error());
    clause.value = std::move(*value);
    clauses.push_back(std::move(clause));
    if (clauses.size() > kMaxFilterClauses) {
      return Fail(Code::kInvalidArgument,
                  "filter: at most " + std::to_string(kMaxFilterClauses) + " conditions");
    }
  }
  return clauses;
}

std::string SupportedFilters(FilterTarget target) {
  std::string s = "modified_date (gt, ge, lt, le), identifier (eq)";
  if (target == FilterTarget::kPeople) s += ", email_address (eq)";
  if (target == FilterTarget::kPetitions) s += ", undersigned:status (eq)";
  if (target == FilterTarget::kSignatures) s += ", undersigned:group (eq)";
  if (target == FilterTarget::kOrganizations) s += ", state (eq)";
  return s;
}

Result<CollectionFilter> InterpretFilter(const std::vector<FilterClause>& clauses,
                                         FilterTarget target) {
  CollectionFilter out;
  auto unsupported_op = [&](const FilterClause& c) {
    return Invalid(std::string("filter: operator ") + FilterOpName(c.op) + " is not supported on " +
                   c.field + "; supported for " + TargetName(target) + ": " +
                   SupportedFilters(target));
  };
  for (const FilterClause& c : clauses) {
    if (!Supports(target, c.field)) {
      return Fail(Invalid("filter: cannot filter " + std::string(TargetName(target)) + " on '" +
                          c.field + "'; supported: " + SupportedFilters(target)));
    }
    if (c.field == "modified_date") {
      auto t = ParseIso8601(Trim(c.value));
      if (!t) {
        return Fail(
            Invalid("filter: modified_date needs a date such as '2024-01-31' or "
                    "'2024-01-31T12:00:00Z', not '" +
                    c.value + "'"));
      }
      switch (c.op) {
        case FilterOp::kGt:
        case FilterOp::kGe: {
          UnixTime after = c.op == FilterOp::kGt ? *t : *t - 1;
          out.time.modified_after = std::max(out.time.modified_after.value_or(after), after);
          break;
        }
        case FilterOp::kLt:
        case FilterOp::kLe: {
          UnixTime before = c.op == FilterOp::kLt ? *t : *t + 1;
          out.time.modified_before = std::min(out.time.modified_before.value_or(before), before);
          break;
        }
        default:
          return Fail(unsupported_op(c));
      }
      continue;
    }
    if (c.op != FilterOp::kEq) return Fail(unsupported_op(c));
    std::string value = Trim(c.value);
    if (c.field == "email_address") {
      if (value.empty() || value.find('@') == std::string::npos) {
        return Fail(
            Invalid("filter: email_address needs an email address such as "
                    "'ada@example.org'"));
      }
      if (out.email && *out.email != value) out.empty_result = true;
      out.email = value;
    } else if (c.field == "identifier") {
      if (value.find(':') == std::string::npos) {
        return Fail(
            Invalid("filter: identifier needs the form 'system:id', e.g. "
                    "'undersigned:2f1c...'"));
      }
      if (out.identifier && *out.identifier != value) out.empty_result = true;
      out.identifier = value;
    } else if (c.field == "undersigned:status") {
      auto status = ParseStatus(value);
      if (!status) {
        return Fail(Invalid("filter: undersigned:status is one of 'draft', 'open', 'closed'"));
      }
      if (out.status && *out.status != *status) out.empty_result = true;
      out.status = status;
    } else if (c.field == "undersigned:group") {
      // A group key (core/group.h): lower-case letters, digits and hyphens, at most 32.
      bool key = !value.empty() && value.size() <= 32 &&
                 std::all_of(value.begin(), value.end(), [](char ch) {
                   return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
                 });
      if (!key) {
        return Fail(
            Invalid("filter: undersigned:group needs the key of one of the petition's groups, "
                    "e.g. undersigned:group eq 'employees'"));
      }
      if (out.group && *out.group != value) out.empty_result = true;
      out.group = value;
    } else if (c.field == "state" || c.field == "undersigned:state") {
      auto state = ParseOrganizationState(ToLowerAscii(value));
      if (!state) {
        return Fail(Invalid("filter: " + c.field +
                            " is one of 'pending', 'confirmed', 'approved', 'rejected'"));
      }
      if (out.state && *out.state != *state) out.empty_result = true;
      out.state = state;
    }
  }
  if (out.time.modified_after && out.time.modified_before &&
      *out.time.modified_before - *out.time.modified_after <= 1) {
    out.empty_result = true;
  }
  return out;
}

}  // namespace undersigned::http::api
