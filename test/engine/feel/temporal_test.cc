#include "engine/feel/temporal.h"

#include <gtest/gtest.h>

#include "feel_test_util.h"

namespace tern::feel {
namespace {

using test::show;

TEST(Temporal, ParsesAndPrintsIsoForms) {
  EXPECT_EQ(Date::parse("2024-02-29")->to_string(), "2024-02-29");
  EXPECT_FALSE(Date::parse("2023-02-29").has_value());
  EXPECT_FALSE(Date::parse("2024-13-01").has_value());
  EXPECT_EQ(Time::parse("10:30:00.250+01:00")->to_string(), "10:30:00.25+01:00");
  EXPECT_FALSE(Time::parse("24:00:00").has_value());
  EXPECT_EQ(DateTime::parse("2024-01-31T10:00:00Z")->to_string(), "2024-01-31T10:00:00Z");
  EXPECT_EQ(DaysTimeDuration::parse("PT36H")->to_string(), "P1DT12H");
  EXPECT_EQ(DaysTimeDuration::parse("-PT0.5S")->to_string(), "-PT0.5S");
  EXPECT_EQ(YearsMonthsDuration::parse("P14M")->to_string(), "P1Y2M");
  EXPECT_FALSE(DaysTimeDuration::parse("P").has_value());
  EXPECT_FALSE(YearsMonthsDuration::parse("P1D").has_value());
}

TEST(Temporal, CalendarRoundTripsOverCenturies) {
  for (std::int64_t days = -800000; days < 800000; days += 997) {
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    ASSERT_EQ(days_from_civil(y, m, d), days);
  }
}

TEST(Temporal, DateArithmeticClampsMonthEnds) {
  EXPECT_EQ(show("date(\"2024-01-31\") + duration(\"P1M\")"), "2024-02-29");
  EXPECT_EQ(show("date(\"2023-01-31\") + duration(\"P1M\")"), "2023-02-28");
  EXPECT_EQ(show("date(\"2024-02-29\") + duration(\"P1Y\")"), "2025-02-28");
  EXPECT_EQ(show("date(\"2024-01-01\") - duration(\"P1M\")"), "2023-12-01");
  EXPECT_EQ(show("date(\"2024-03-01\") - date(\"2024-02-01\")"), "P29D");
}

TEST(Temporal, ZoneIdsFollowDaylightSaving) {
  // Berlin springs forward at 02:00 local on 2024-03-31: one hour after 01:30 is 03:30.
  EXPECT_EQ(show("date and time(\"2024-03-31T01:30:00@Europe/Berlin\") + duration(\"PT1H\")"),
            "2024-03-31T03:30:00@Europe/Berlin");
  // And falls back on 2024-10-27: two hours after 01:30 CEST is 02:30 CET.
  EXPECT_EQ(show("date and time(\"2024-10-27T01:30:00@Europe/Berlin\") + duration(\"PT2H\")"),
            "2024-10-27T02:30:00@Europe/Berlin");
  EXPECT_EQ(show("date and time(\"2024-03-31T03:00:00@Europe/Berlin\") - "
                 "date and time(\"2024-03-31T01:00:00@Europe/Berlin\")"),
            "PT1H");
  EXPECT_EQ(show("date and time(\"2024-07-01T12:00:00@Europe/Berlin\") = "
                 "date and time(\"2024-07-01T10:00:00Z\")"),
            "true");
  EXPECT_EQ(show("date and time(\"2024-07-01T12:00:00@Europe/Berlin\").time offset"), "PT2H");
  EXPECT_EQ(show("date and time(\"2024-01-01T12:00:00@Europe/Berlin\").time offset"), "PT1H");
  EXPECT_EQ(show("date and time(\"2024-01-01T12:00:00@Mars/Olympus\")"), "null");
  EXPECT_EQ(show("@\"2024-01-01T12:00:00@No/Such\""),
            "error: invalid temporal literal @\"2024-01-01T12:00:00@No/Such\"");
}

TEST(Temporal, AmbiguousLocalTimesKeepTheirOffset) {
  // New York falls back at 02:00 EDT on 2024-11-03: 01:30 happens twice, an hour apart.
  const char* first = "date and time(\"2024-11-03T01:30:00@America/New_York\")";
  std::string second = std::string(first) + " + duration(\"PT1H\")";
  EXPECT_EQ(show(second), "2024-11-03T01:30:00@America/New_York");
  EXPECT_EQ(to_json(test::eval(first)), "2024-11-03T01:30:00-04:00[America/New_York]");
  EXPECT_EQ(to_json(test::eval(second)), "2024-11-03T01:30:00-05:00[America/New_York]");
  EXPECT_EQ(show(second + " - " + first), "PT1H");
  EXPECT_EQ(show(second + " > " + first), "true");
}

TEST(Temporal, RulesBeyondTheListedTransitionsComeFromThePosixFooter) {
  EXPECT_EQ(show("date and time(\"2040-07-01T12:00:00@Europe/Berlin\").time offset"), "PT2H");
  EXPECT_EQ(show("date and time(\"2040-12-01T12:00:00@Europe/Berlin\").time offset"), "PT1H");
  EXPECT_EQ(show("date and time(\"2040-07-01T12:00:00@Australia/Sydney\").time offset"), "PT10H");
  EXPECT_EQ(show("date and time(\"2041-01-01T12:00:00@Australia/Sydney\").time offset"), "PT11H");
  // The last Sunday of March 2040 is the 25th.
  EXPECT_EQ(show("date and time(\"2040-03-25T01:30:00@Europe/Berlin\") + duration(\"PT1H\")"),
            "2040-03-25T03:30:00@Europe/Berlin");
}

TEST(Temporal, DurationsScaleAndCompare) {
  EXPECT_EQ(show("duration(\"PT1H\") * 3"), "PT3H");
  EXPECT_EQ(show("duration(\"PT3H\") / 2"), "PT1H30M");
  EXPECT_EQ(show("duration(\"P1D\") / duration(\"PT1H\")"), "24");
  EXPECT_EQ(show("duration(\"P1Y\") + duration(\"P6M\")"), "P1Y6M");
  EXPECT_EQ(show("duration(\"P1D\") > duration(\"PT23H\")"), "true");
  EXPECT_EQ(show("duration(\"P1Y\") > duration(\"PT1H\")"), "null");
  EXPECT_EQ(show("-duration(\"P1D\")"), "-P1D");
  EXPECT_EQ(show("time(\"23:00:00\") + duration(\"PT2H\")"), "01:00:00");
}

TEST(Temporal, NowAndTodayUseTheInjectedClock) {
  EXPECT_EQ(show("now()"), "2024-01-31T10:15:30Z");
  EXPECT_EQ(show("today()"), "2024-01-31");
  EXPECT_EQ(show("now() > date and time(\"2024-01-01T00:00:00Z\")"), "true");
  auto e = Expression::compile("today()");
  ASSERT_TRUE(e.ok());
  MapResolver none;
  auto r = e->evaluate(none);
  ASSERT_FALSE(r.ok()) << "without a clock, now()/today() must not read the wall clock";
  EXPECT_NE(r.error().message.find("clock"), std::string::npos);
}

TEST(Temporal, Properties) {
  EXPECT_EQ(show("date(\"2024-01-31\").year"), "2024");
  EXPECT_EQ(show("date(\"2024-01-31\").weekday"), "3");
  EXPECT_EQ(show("time(\"10:30:15.5\").second"), "15.5");
  EXPECT_EQ(show("duration(\"P1DT2H\").hours"), "2");
  EXPECT_EQ(show("duration(\"P1Y2M\").months"), "2");
  EXPECT_EQ(show("day of week(date(\"2024-06-02\"))"), "\"Sunday\"");
  EXPECT_EQ(show("week of year(date(\"2021-01-03\"))"), "53");
}

}  // namespace
}  // namespace tern::feel
