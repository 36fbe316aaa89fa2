// The column lists both backends read events, slots and RSVPs with (store/event_store.h), as
// string literals to paste into their statements (no parameters in them, so the same text
// serves SQLite's ?N and PostgreSQL's $N statements). Internal to store/sqlite/events.cc and
// store/postgres/events.cc.
#pragma once

// 20 columns, in Event's order.
#define US_EVENT_COLS                                                                          \
  "id, campaign_id, slug, title, description, kind, venue, address, online_link, "             \
  "private_location, accessibility, host_name, host_email, status, reminders, promote_until, " \
  "created_by, host_token_hash, created, modified"

// 10 columns of slots s: id, event_id, starts, ends, time_zone, capacity, accepted seats,
// waitlisted RSVPs, created, modified.
#define US_SLOT_COLS                                                                       \
  "s.id, s.event_id, s.starts, s.ends, s.time_zone, s.capacity, (SELECT coalesce(sum(1 + " \
  "a.guests), 0) FROM rsvps a WHERE a.slot_id = s.id AND a.status = 'accepted'), (SELECT " \
  "count(*) FROM rsvps w WHERE w.slot_id = s.id AND w.status = 'waitlisted'), s.created, " \
  "s.modified"

// 13 columns of rsvps r: id, event_id, slot_id, sealed, guests, status, waitlist position,
// checked_in, referrer, source, created, modified, confirmed.
#define US_RSVP_COLS                                                                          \
  "r.id, r.event_id, r.slot_id, r.sealed, r.guests, r.status, CASE WHEN r.status = "          \
  "'waitlisted' THEN (SELECT count(*) FROM rsvps w WHERE w.slot_id = r.slot_id AND w.status " \
  "= 'waitlisted' AND w.wait_seq <= r.wait_seq) END, r.checked_in, r.referrer, r.source, "    \
  "r.created, r.modified, r.confirmed"
