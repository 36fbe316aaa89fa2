#include "render/spliced.h"

namespace undersigned::render {

std::string SlotPlaceholder(int i) { return "\x01slot" + std::to_string(i) + "\x01"; }

Spliced Spliced::Cut(std::string_view html, int slot_count) {
  std::vector<std::string> placeholders;
  for (int i = 0; i < slot_count; ++i) placeholders.push_back(SlotPlaceholder(i));
  Spliced out;
  std::size_t pos = 0;
  std::string current;
  while (pos < html.size()) {
    std::size_t next = html.find('\x01', pos);
    if (next == std::string_view::npos) break;
    int matched = -1;
    for (int i = 0; i < slot_count; ++i) {
      if (html.substr(next, placeholders[i].size()) == placeholders[i]) {
        matched = i;
        break;
      }
    }
    if (matched < 0) {
      current.append(html.substr(pos, next + 1 - pos));
      pos = next + 1;
      continue;
    }
    current.append(html.substr(pos, next - pos));
    out.texts_.push_back(std::move(current));
    current.clear();
    out.slots_.push_back(matched);
    pos = next + placeholders[matched].size();
  }
  if (pos < html.size()) current.append(html.substr(pos));
  out.texts_.push_back(std::move(current));
  for (const auto& t : out.texts_) out.fixed_size_ += t.size();
  return out;
}

std::string Spliced::Fill(std::initializer_list<std::string_view> values) const {
  const std::string_view* vals = values.begin();
  const std::size_t n = values.size();
  std::size_t total = fixed_size_;
  for (int s : slots_) {
    if (static_cast<std::size_t>(s) < n) total += vals[s].size();
  }
  std::string out;
  out.reserve(total);
  if (texts_.empty()) return out;
  out.append(texts_[0]);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (static_cast<std::size_t>(slots_[i]) < n) out.append(vals[slots_[i]]);
    out.append(texts_[i + 1]);
  }
  return out;
}

int Spliced::Occurrences(int slot) const {
  int n = 0;
  for (int s : slots_) n += s == slot ? 1 : 0;
  return n;
}

}  // namespace undersigned::render
