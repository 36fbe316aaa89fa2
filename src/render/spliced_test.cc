#include "render/spliced.h"

#include <gtest/gtest.h>

namespace undersigned::render {
namespace {

TEST(Spliced, FillsEverySlotOccurrence) {
  std::string html =
      "<a>" + SlotPlaceholder(0) + "</a><b>" + SlotPlaceholder(1) + "</b>" + SlotPlaceholder(0);
  Spliced s = Spliced::Cut(html, 2);
  EXPECT_EQ(s.Occurrences(0), 2);
  EXPECT_EQ(s.Occurrences(1), 1);
  EXPECT_EQ(s.Fill({"X", "Y"}), "<a>X</a><b>Y</b>X");
  EXPECT_EQ(s.Fill({"1"}), "<a>1</a><b></b>1");
  EXPECT_EQ(s.FixedSize(), std::string("<a></a><b></b>").size());
}

TEST(Spliced, NoSlots) {
  Spliced s = Spliced::Cut("plain \x01 text", 1);
  EXPECT_EQ(s.Occurrences(0), 0);
  EXPECT_EQ(s.Fill({"X"}), "plain \x01 text");
}

TEST(Spliced, SlotAtBothEnds) {
  Spliced s = Spliced::Cut(SlotPlaceholder(0) + "mid" + SlotPlaceholder(0), 1);
  EXPECT_EQ(s.Fill({"<>"}), "<>mid<>");
}

}  // namespace
}  // namespace undersigned::render
