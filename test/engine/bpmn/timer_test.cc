// ISO 8601 durations, dates, repeating intervals and cron schedules, and the due dates they give.

#include "engine/bpmn/timer.h"

#include <gtest/gtest.h>

namespace tern::engine::bpmn {
namespace {

EpochMillis at(std::string_view iso) {
  auto parsed = parse_iso_date_time(iso);
  EXPECT_TRUE(parsed.ok()) << iso << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : 0;
}

TEST(BpmnTimer, Durations) {
  auto d = parse_iso_duration("P1Y2M3DT4H5M6.5S");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->years, 1);
  EXPECT_EQ(d->months, 2);
  EXPECT_EQ(d->days, 3);
  EXPECT_EQ(d->millis, ((4 * 60 + 5) * 60 + 6) * 1000 + 500);
  EXPECT_EQ(parse_iso_duration("PT10S")->millis, 10'000);
  EXPECT_EQ(parse_iso_duration("PT0.25S")->millis, 250);
  EXPECT_EQ(parse_iso_duration("P2W")->days, 14);
  EXPECT_EQ(parse_iso_duration("PT36H")->millis, 36 * 3'600'000LL);
  EXPECT_TRUE(parse_iso_duration("-PT1M")->negative);
  for (std::string_view bad :
       {"", "P", "PT", "10S", "P1H", "PT1D", "P1M2Y", "PT1.5M", "PT1S2", "P1YT", "PTxS"}) {
    auto result = parse_iso_duration(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_EQ(result.error().code, TimerErrorCode::kInvalidDuration);
      EXPECT_NE(result.error().message.find(std::string(bad)), std::string::npos);
    }
  }
}

TEST(BpmnTimer, CalendarArithmeticFollowsTheCalendar) {
  EpochMillis jan31 = at("2024-01-31T10:00:00Z");
  EXPECT_EQ(parse_iso_duration("P1M")->add_to(jan31), at("2024-02-29T10:00:00Z"));  // leap year
  EXPECT_EQ(parse_iso_duration("P1Y")->add_to(at("2024-02-29T00:00:00Z")),
            at("2025-02-28T00:00:00Z"));
  EXPECT_EQ(parse_iso_duration("P1DT1H")->add_to(at("2023-12-31T23:30:00Z")),
            at("2024-01-02T00:30:00Z"));
  EXPECT_EQ(parse_iso_duration("-P1D")->add_to(at("2024-03-01T00:00:00Z")),
            at("2024-02-29T00:00:00Z"));
}

TEST(BpmnTimer, DatesWithOffsets) {
  EXPECT_EQ(at("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(at("2000-01-01T00:00:00Z"), 946'684'800'000LL);
  EXPECT_EQ(at("2000-01-01T01:00:00+01:00"), 946'684'800'000LL);
  EXPECT_EQ(at("1999-12-31T19:00:00-05:00"), 946'684'800'000LL);
  EXPECT_EQ(at("2000-01-01T00:00:00.123Z"), 946'684'800'123LL);
  EXPECT_EQ(at("2000-01-01T01:00+01:00[Europe/Paris]"), 946'684'800'000LL);
  EXPECT_EQ(at("1969-12-31T23:59:59Z"), -1000);
  for (std::string_view bad : {"2000-01-01", "2000-01-01T00:00:00", "2000-02-30T00:00:00Z",
                               "2000-01-01T24:00:00Z", "01/01/2000", "2000-01-01T00:00:00Zjunk"}) {
    auto result = parse_iso_date_time(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_EQ(result.error().code, TimerErrorCode::kInvalidDate);
    }
  }
}

TEST(BpmnTimer, TimerValuesGiveDueDates) {
  EpochMillis now = at("2024-05-01T12:00:00Z");
  auto date = parse_timer_value(TimerKind::DATE, "2024-06-01T00:00:00Z");
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(date->first_due(now), at("2024-06-01T00:00:00Z"));
  auto duration = parse_timer_value(TimerKind::DURATION, "PT90M");
  ASSERT_TRUE(duration.ok());
  EXPECT_EQ(duration->first_due(now), at("2024-05-01T13:30:00Z"));
  EXPECT_FALSE(parse_timer_value(TimerKind::DURATION, "-PT1M").ok());
}

TEST(BpmnTimer, RepeatingIntervals) {
  EpochMillis now = at("2024-05-01T12:00:00Z");
  auto cycle = parse_timer_value(TimerKind::CYCLE, "R5/PT10S");
  ASSERT_TRUE(cycle.ok());
  EXPECT_EQ(cycle->repetitions, 5);
  EXPECT_FALSE(cycle->start.has_value());
  EXPECT_EQ(cycle->first_due(now), now + 10'000);
  EXPECT_EQ(cycle->next_fire_after(now + 10'000), now + 20'000);

  auto unbounded = parse_timer_value(TimerKind::CYCLE, "R/P1D");
  ASSERT_TRUE(unbounded.ok());
  EXPECT_EQ(unbounded->repetitions, -1);
  EXPECT_EQ(unbounded->next_fire_after(now), at("2024-05-02T12:00:00Z"));

  auto anchored = parse_timer_value(TimerKind::CYCLE, "R3/2024-05-01T11:00:00Z/PT25M");
  ASSERT_TRUE(anchored.ok());
  ASSERT_TRUE(anchored->start.has_value());
  // Firings at 11:00, 11:25, 11:50, 12:15...: the next after 12:00 is 12:15.
  EXPECT_EQ(anchored->next_fire_after(now), at("2024-05-01T12:15:00Z"));
  EXPECT_EQ(anchored->first_due(at("2024-05-01T10:00:00Z")), at("2024-05-01T11:00:00Z"));

  auto monthly = parse_timer_value(TimerKind::CYCLE, "R/2024-01-31T00:00:00Z/P1M");
  ASSERT_TRUE(monthly.ok());
  EXPECT_EQ(monthly->next_fire_after(at("2024-02-15T00:00:00Z")), at("2024-02-29T00:00:00Z"));

  for (std::string_view bad : {"R5", "Rx/PT1S", "R5/PT0S", "R/-PT1S", "R2/garbage"}) {
    auto result = parse_timer_value(TimerKind::CYCLE, bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_EQ(result.error().code, TimerErrorCode::kInvalidCycle);
    }
  }
}

TEST(BpmnTimer, CronSpecialDayForms) {
  EpochMillis now = at("2024-05-01T12:00:00Z");
  auto next = [&](std::string_view cron, EpochMillis from) -> std::optional<EpochMillis> {
    auto schedule = parse_cron(cron);
    EXPECT_TRUE(schedule.ok()) << cron << ": " << (schedule.ok() ? "" : schedule.error().message);
    return schedule.ok() ? schedule->next_after(from) : std::nullopt;
  };
  // Three days before the end of May.
  EXPECT_EQ(next("0 0 0 L-3 * *", now), at("2024-05-28T00:00:00Z"));
  // The last weekday of August 2024: the 31st is a Saturday, so Friday the 30th.
  EXPECT_EQ(next("0 0 0 LW * *", at("2024-08-01T00:00:00Z")), at("2024-08-30T00:00:00Z"));
  // The weekday nearest the 15th of June 2024 (a Saturday) is Friday the 14th.
  EXPECT_EQ(next("0 0 0 15W * *", at("2024-06-01T00:00:00Z")), at("2024-06-14T00:00:00Z"));
  // 1W in June 2024: the 1st is a Saturday and the month is not left, so Monday the 3rd.
  EXPECT_EQ(next("0 0 0 1W * *", at("2024-05-31T00:00:00Z")), at("2024-06-03T00:00:00Z"));
  // The last Friday of May 2024 is the 31st.
  EXPECT_EQ(next("0 0 0 ? * FRIL", now), at("2024-05-31T00:00:00Z"));
  EXPECT_EQ(next("0 0 0 ? * 5L", now), at("2024-05-31T00:00:00Z"));
  // The second Monday of May 2024 is the 13th.
  EXPECT_EQ(next("0 0 0 ? * MON#2", now), at("2024-05-13T00:00:00Z"));
}

TEST(BpmnTimer, CronSchedules) {
  EpochMillis now = at("2024-05-01T12:00:00Z");  // a Wednesday
  auto every_minute = parse_timer_value(TimerKind::CYCLE, "0 * * * * *");
  ASSERT_TRUE(every_minute.ok());
  ASSERT_TRUE(every_minute->cron.has_value());
  EXPECT_EQ(every_minute->next_fire_after(now), at("2024-05-01T12:01:00Z"));
  EXPECT_EQ(every_minute->next_fire_after(now + 500), at("2024-05-01T12:01:00Z"));

  auto weekdays = parse_cron("0 30 9 * * MON-FRI");
  ASSERT_TRUE(weekdays.ok());
  EXPECT_EQ(weekdays->next_after(now), at("2024-05-02T09:30:00Z"));
  EXPECT_EQ(weekdays->next_after(at("2024-05-03T10:00:00Z")), at("2024-05-06T09:30:00Z"));

  auto steps = parse_cron("*/15 0/20 8-10 ? * *");
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(steps->next_after(at("2024-05-01T08:00:50Z")), at("2024-05-01T08:20:00Z"));
  EXPECT_EQ(steps->next_after(at("2024-05-01T10:40:45Z")), at("2024-05-02T08:00:00Z"));

  auto last_day = parse_cron("0 0 0 L * *");
  ASSERT_TRUE(last_day.ok());
  EXPECT_EQ(last_day->next_after(at("2024-02-10T00:00:00Z")), at("2024-02-29T00:00:00Z"));

  auto new_year = parse_cron("@yearly");
  ASSERT_TRUE(new_year.ok());
  EXPECT_EQ(new_year->next_after(now), at("2025-01-01T00:00:00Z"));

  auto sunday_as_seven = parse_cron("0 0 0 * * 7");
  ASSERT_TRUE(sunday_as_seven.ok());
  EXPECT_EQ(sunday_as_seven->next_after(now), at("2024-05-05T00:00:00Z"));

  auto friday_13th = parse_cron("0 0 0 13 * FRI");
  ASSERT_TRUE(friday_13th.ok());
  EXPECT_EQ(friday_13th->next_after(now), at("2024-09-13T00:00:00Z"));

  auto never = parse_cron("0 0 0 30 FEB *");
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->next_after(now).has_value());

  for (std::string_view bad : {"* * * * *", "61 * * * * *", "0 0 25 * * *", "0 0 0 1 13 *",
                               "0 0 0 * * FUNDAY", "0 */0 * * * *", "0 0 0 1L * *", "0 0 0 32W * *",
                               "0 0 0 L-31 * *", "0 0 0 * * MON#6", "0 0 0 * * 8L"}) {
    auto result = parse_cron(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_EQ(result.error().code, TimerErrorCode::kInvalidCycle);
      EXPECT_NE(result.error().message.find("cron"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace tern::engine::bpmn
