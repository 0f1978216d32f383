#pragma once
// The one place a DeliveryCursor, a DeliveryAttempt and a QueuedReminder are copied to and from
// their Cap'n Proto form (delivery.capnp): the single node's webhook_delivery family and the
// cluster's shared delivery bucket (kv_delivery_state.h) store the same structs.
#include "server/webhooks/delivery.capnp.h"
#include "server/webhooks/delivery_state.h"

namespace pitlog::server::webhooks {

void writeCursor(schema::DeliveryCursor::Builder b, const DeliveryCursor& c);
DeliveryCursor readCursor(schema::DeliveryCursor::Reader r);
void writeAttempt(schema::DeliveryAttempt::Builder b, const DeliveryAttempt& a);
DeliveryAttempt readAttempt(schema::DeliveryAttempt::Reader r);
void writeReminder(schema::QueuedReminder::Builder b, const QueuedReminder& r);
QueuedReminder readReminder(schema::QueuedReminder::Reader r);

}  // namespace pitlog::server::webhooks
