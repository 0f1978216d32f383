@0xb8e21f0c4d7a9365;
# Cluster mode's shared delivery state: one value per subscription in the key-value bucket
# "<stream>_WEBHOOK_DELIVERY" (kv_delivery_state.h). Not history, like the single node's family.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pitlog::server::webhooks::schema");

using Delivery = import "delivery.capnp";

struct SharedDelivery {
  term @0 :UInt64;                                # the lease term of the node that wrote it
  node @1 :Text;                                  # that node's name
  cursor @2 :Delivery.DeliveryCursor;
  attempts @3 :List(Delivery.DeliveryAttempt);    # the last 100, oldest first
}
