#include "server/webhooks/delivery_codec.h"

#include "events/event.h"

namespace pitlog::server::webhooks {

void writeCursor(schema::DeliveryCursor::Builder b, const DeliveryCursor& c) {
  b.setSecretEventId(events::dataReader(c.secretEventId));
  b.setDeliveredSeq(c.deliveredSeq);
  b.setPendingSeq(c.pendingSeq);
  b.setAttempts(c.attempts);
  b.setFirstAttemptAt(c.firstAttemptAt);
  b.setNextAttemptAt(c.nextAttemptAt);
  b.setAttemptsRecorded(c.attemptsRecorded);
  b.setReminderNext(c.reminderNext);
}

DeliveryCursor readCursor(schema::DeliveryCursor::Reader r) {
  DeliveryCursor c;
  c.secretEventId = events::dataView(r.getSecretEventId());
  c.deliveredSeq = r.getDeliveredSeq();
  c.pendingSeq = r.getPendingSeq();
  c.attempts = r.getAttempts();
  c.firstAttemptAt = r.getFirstAttemptAt();
  c.nextAttemptAt = r.getNextAttemptAt();
  c.attemptsRecorded = r.getAttemptsRecorded();
  c.reminderNext = r.getReminderNext();
  return c;
}

void writeAttempt(schema::DeliveryAttempt::Builder b, const DeliveryAttempt& a) {
  b.setAt(a.at);
  b.setType(a.type);
  b.setMessageId(a.messageId);
  b.setSeq(a.seq);
  b.setStatus(static_cast<uint32_t>(a.status));
  b.setError(a.error);
  b.setNextRetryAt(a.nextRetryAt);
  b.setGaveUp(a.gaveUp);
}

DeliveryAttempt readAttempt(schema::DeliveryAttempt::Reader r) {
  DeliveryAttempt a;
  a.at = r.getAt();
  a.type = events::textView(r.getType());
  a.messageId = events::textView(r.getMessageId());
  a.seq = r.getSeq();
  a.status = static_cast<int>(r.getStatus());
  a.error = events::textView(r.getError());
  a.nextRetryAt = r.getNextRetryAt();
  a.gaveUp = r.getGaveUp();
  return a;
}

void writeReminder(schema::QueuedReminder::Builder b, const QueuedReminder& r) {
  b.setType(r.type);
  b.setMessageId(r.messageId);
  b.setBody(r.body);
}

QueuedReminder readReminder(schema::QueuedReminder::Reader r) {
  return QueuedReminder{std::string(events::textView(r.getType())),
                        std::string(events::textView(r.getMessageId())),
                        std::string(events::textView(r.getBody()))};
}

}  // namespace pitlog::server::webhooks
