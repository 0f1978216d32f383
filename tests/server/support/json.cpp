#include "support/json.h"

#include <capnp/message.h>
#include <kj/exception.h>

#include <stdexcept>

namespace pitlog::testing {

Json Json::parse(const std::string& text) {
  Json j;
  j.message_ = std::make_shared<capnp::MallocMessageBuilder>();
  auto root = j.message_->initRoot<capnp::JsonValue>();
  capnp::JsonCodec codec;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions(
                     [&]() { codec.decodeRaw(kj::arrayPtr(text.data(), text.size()), root); })) {
    throw std::runtime_error("not JSON");
  }
  j.value_ = root.asReader();
  j.present_ = true;
  return j;
}

bool Json::isNull() const { return present_ && value_.isNull(); }
bool Json::isString() const { return present_ && value_.isString(); }
bool Json::isNumber() const { return present_ && value_.isNumber(); }
bool Json::isBool() const { return present_ && value_.isBoolean(); }
bool Json::isArray() const { return present_ && value_.isArray(); }
bool Json::isObject() const { return present_ && value_.isObject(); }

Json Json::operator[](const std::string& member) const {
  Json out;
  out.message_ = message_;
  if (!isObject()) return out;
  for (auto f : value_.getObject()) {
    if (std::string(f.getName().cStr()) == member) {
      out.value_ = f.getValue();
      out.present_ = true;
      break;
    }
  }
  return out;
}

Json Json::operator[](size_t index) const {
  Json out;
  out.message_ = message_;
  if (!isArray() || index >= value_.getArray().size()) return out;
  out.value_ = value_.getArray()[static_cast<capnp::uint>(index)];
  out.present_ = true;
  return out;
}

size_t Json::size() const {
  if (isArray()) return value_.getArray().size();
  if (isObject()) return value_.getObject().size();
  throw std::runtime_error("size() of a JSON value that is neither array nor object");
}

std::vector<std::string> Json::keys() const {
  if (!isObject()) throw std::runtime_error("keys() of a JSON value that is not an object");
  std::vector<std::string> out;
  for (auto f : value_.getObject()) out.emplace_back(f.getName().cStr());
  return out;
}

std::string Json::str() const {
  if (!isString()) throw std::runtime_error("JSON value is not a string");
  return std::string(value_.getString().cStr(), value_.getString().size());
}

double Json::num() const {
  if (!isNumber()) throw std::runtime_error("JSON value is not a number");
  return value_.getNumber();
}

bool Json::boolean() const {
  if (!isBool()) throw std::runtime_error("JSON value is not a boolean");
  return value_.getBoolean();
}

std::vector<std::string> Json::strings() const {
  if (!isArray()) throw std::runtime_error("JSON value is not an array");
  std::vector<std::string> out;
  for (auto v : value_.getArray()) {
    if (!v.isString()) throw std::runtime_error("array element is not a string");
    out.emplace_back(v.getString().cStr(), v.getString().size());
  }
  return out;
}

}  // namespace pitlog::testing
