// Spliced: a page rendered once with placeholders, cut into fixed segments so that per-request
// values (a CSRF token, an email address) are concatenated in without running the template
// engine again. Immutable after Cut(); Fill() is const and thread-safe.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace undersigned::render {

// Placeholder text for slot i: "\x01slot<i>\x01". The control characters cannot come from any
// validated visitor or campaign text, so user content can never be mistaken for a slot.
std::string SlotPlaceholder(int i);

class Spliced {
 public:
  Spliced() = default;

  // Cuts html at every occurrence of SlotPlaceholder(0 .. slot_count-1).
  static Spliced Cut(std::string_view html, int slot_count);

  // Concatenates the segments with values[i] in place of each occurrence of slot i. Values are
  // inserted as they are: the caller escapes them. Missing values are empty.
  std::string Fill(std::initializer_list<std::string_view> values) const;

  // Occurrences of each slot (for tests and sanity checks).
  int Occurrences(int slot) const;
  std::size_t FixedSize() const { return fixed_size_; }

 private:
  std::vector<std::string> texts_;  // texts_.size() == slots_.size() + 1
  std::vector<int> slots_;
  std::size_t fixed_size_ = 0;
};

}  // namespace undersigned::render
