#include "core/ics.h"

#include <gtest/gtest.h>

#include <string>

namespace undersigned {
namespace {

// 2026-10-24T07:00:00Z (09:00 in Paris, summer time) and 2026-10-26T08:00:00Z (09:00, winter).
constexpr UnixTime kBeforeChange = 1792825200;
constexpr UnixTime kAfterChange = 1793001600;

TEST(Ics, EscapesTextAndDropsControlCharacters) {
  EXPECT_EQ(IcsEscape("a,b;c\\d\ne\r\nf\x01g"), "a\\,b\\;c\\\\d\\ne\\nfg");
}

TEST(Ics, FoldsAtSeventyFiveOctetsWithoutSplittingACharacter) {
  const std::string ascii(200, 'x');
  const std::string folded = IcsLine(ascii);
  EXPECT_EQ(folded.substr(0, 75), std::string(75, 'x'));
  EXPECT_EQ(folded.substr(75, 3), "\r\n ");
  for (std::size_t start = 0, end; (end = folded.find("\r\n", start)) != std::string::npos;
       start = end + 2) {
    EXPECT_LE(end - start, 75u);
  }
  std::string accents;
  for (int i = 0; i < 60; ++i) accents += "\xC3\xA9";  // é, two octets each
  const std::string f = IcsLine("SUMMARY:" + accents);
  std::string unfolded;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f.compare(i, 3, "\r\n ") == 0) {
      i += 2;
      continue;
    }
    unfolded += f[i];
  }
  EXPECT_EQ(unfolded, "SUMMARY:" + accents + "\r\n");
  // Every physical line starts on a character boundary (never a continuation byte).
  for (std::size_t p = f.find("\r\n "); p != std::string::npos; p = f.find("\r\n ", p + 1)) {
    EXPECT_NE(static_cast<unsigned char>(f[p + 3]) & 0xC0, 0x80);
  }
}

TEST(Ics, LocalTimesAndTheZonesTransitionsAcrossADaylightSavingChange) {
  IcsEvent a{"slot-1@example.org",
             "Rally, day one",
             "Bring signs; and water",
             "Place de la "
             "République\nParis",
             "https://example.org/e",
             kBeforeChange,
             kBeforeChange + 3600,
             "Europe/Paris"};
  IcsEvent b = a;
  b.uid = "slot-2@example.org";
  b.starts = kAfterChange;
  b.ends = kAfterChange + 3600;
  const std::string ics = IcsCalendar({a, b}, 1790000000, "Protests");
  EXPECT_EQ(ics.rfind("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 0), 0u);
  EXPECT_NE(ics.find("DTSTART;TZID=Europe/Paris:20261024T090000\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTSTART;TZID=Europe/Paris:20261026T090000\r\n"), std::string::npos);
  EXPECT_NE(ics.find("TZID:Europe/Paris\r\n"), std::string::npos);
  // The change back to winter time on 25 October at 03:00 summer time.
  EXPECT_NE(ics.find("BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\n"
                     "TZOFFSETTO:+0100\r\n"),
            std::string::npos);
  EXPECT_NE(ics.find("SUMMARY:Rally\\, day one\r\n"), std::string::npos);
  EXPECT_NE(ics.find("LOCATION:Place de la République\\nParis\r\n"), std::string::npos);
  EXPECT_NE(ics.find("DTSTAMP:20260921T141320Z"), std::string::npos);
  EXPECT_EQ(ics.find("\n\n"), std::string::npos);
  EXPECT_EQ(ics.substr(ics.size() - 15), "END:VCALENDAR\r\n");
}

TEST(Ics, UtcNeedsNoTimezoneAndNoLocationMeansNone) {
  IcsEvent e{"x@example.org", "Call", "", "", "", kBeforeChange, kBeforeChange + 60, "UTC"};
  const std::string ics = IcsCalendar({e}, kBeforeChange);
  EXPECT_EQ(ics.find("VTIMEZONE"), std::string::npos);
  EXPECT_NE(ics.find("DTSTART:20261024T070000Z\r\n"), std::string::npos);
  EXPECT_EQ(ics.find("LOCATION"), std::string::npos);
}

}  // namespace
}  // namespace undersigned
