#pragma once
// The steps the QR and the code machines share once a context exists: the
// sealed CREDENTIAL, RESULT and ABORT frames, and how an ending is put into
// actions. Not installed: the machines' own.
#include <optional>
#include <string>
#include <variant>

#include "crypto/hpke.hpp"
#include "crypto/pairing/actions.hpp"

namespace qrlogin::pairing::steps {

// ABORT sealed with `sealer` (when there is one, i.e. this side may tell its
// peer), then the ending, then the close.
Actions ending(hpke::Context* sealer, Aborted shown, Reason told);
Actions ending(hpke::SequencedAead* sealer, Aborted shown, Reason told);

// Sender: J padded and sealed as CREDENTIAL. A padding failure is
// bad_credential (this device's own), a sealing failure bad_message.
std::variant<Bytes, Reason> credential_frame(hpke::Context& ctx, ByteView credential_json);

// Receiver: a CREDENTIAL opened and unpadded. A frame over the size limit or
// that does not open is bad_message, a bad padding or J bad_credential.
std::variant<ReceivedCredential, Reason> open_credential(hpke::Context& ctx, ByteView frame);

// Receiver: RESULT sealed with the response direction, and the close.
Actions result_and_close(hpke::SequencedAead& response, bool accepted, std::string_view reason);

// Sender: a RESULT opened and read. `tell_peer` is false when the body was
// sealed correctly but is not a valid status body (the receiver's bug, or
// an attack: an ABORT would not be read either).
struct ResultRead {
  std::optional<ShowResult> result;
  Reason failure = Reason::bad_message;
  bool tell_peer = true;
};
ResultRead read_result(hpke::SequencedAead& response, ByteView frame);

}  // namespace qrlogin::pairing::steps
