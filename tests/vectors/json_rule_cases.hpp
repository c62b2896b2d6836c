#pragma once
// The transcript's cases for the JSON rule and the padded status bodies
// (contract rev. 3), written by generate_transcript.cpp: what the writers
// produce, and what every reader must accept or refuse, with the message.
#include <nlohmann/json.hpp>

namespace qrlogin::vectors {

// "status_bodies": RESULT and ABORT bodies the writers produce (a long
// reason cut to fit) and readers accept, with what they read.
nlohmann::ordered_json status_bodies();
// "invalid_status_bodies": wrong sizes, wrong padding and each JSON rule,
// refused by both readers; in a pairing, what each side then shows.
nlohmann::ordered_json invalid_status_bodies();
// "credential_json_rule": J that is valid at the rule's edges, and J that
// breaks each part of it, padded as CREDENTIAL plaintexts.
nlohmann::ordered_json credential_json_rule();

}  // namespace qrlogin::vectors
