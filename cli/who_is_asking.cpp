#include "cli/who_is_asking.hpp"

#include "cli/reporter.hpp"

namespace qrlogin::cli {

std::string_view approval_name(Approval approval) noexcept {
  switch (approval) {
    case Approval::confirm: return "confirm";
    case Approval::deliberate: return "deliberate";
    case Approval::refused: return "refused";
  }
  return "deliberate";
}

std::string how_long_ago(std::int64_t seconds) {
  if (seconds < 2) return "just now";
  if (seconds < 120) return std::to_string(seconds) + " seconds ago";
  return std::to_string(seconds / 60) + " minutes ago";
}

WhoIsAsking describe_request(const PairingRequest& request, const std::string& origin, std::int64_t now) {
  const std::string who = printable(request.device_name, 64);
  const std::string agent = printable(request.user_agent, 120);
  const std::string address = printable(request.address, 64);
  const std::string relation = printable(request.relation, 20);
  const std::string requester = printable(request.requester_network, 64);
  const std::string approver = printable(request.approver_network, 64);
  std::int64_t age = request.age;
  if (age < 0) age = request.registered_at > 0 && now >= request.registered_at ? now - request.registered_at : 0;

  WhoIsAsking out;
  out.fields = {{"device_name", who},
                {"user_agent", agent},
                {"address", address},
                {"registered_at", request.registered_at},
                {"age", age},
                {"expires_in", request.expires_in},
                {"approval", approval_name(request.approval)}};
  if (!relation.empty())
    out.fields["network"] = {{"relation", relation}, {"requester", requester}, {"approver", approver}};

  out.human = "A device asks to log in to " + origin + " as you:\n  " + who + " (" + agent + ")\n  from " +
              address + ", " + how_long_ago(age) + "\n";
  if (request.relation == "same_address") {
    out.human += "  at this device's own address: on this network\n"
                 "Approve it only if that is the device in front of you.";
  } else if (request.relation == "same_network") {
    out.human += "  on this network (" + requester + ")\nApprove it only if that is the device in front of you.";
  } else if (request.approval == Approval::confirm) {
    out.human += "Approve it only if that is the device in front of you.";
  } else {
    out.human += "  on ANOTHER network: " + (requester.empty() ? std::string("unknown") : requester) +
                 (approver.empty() ? std::string{} : " (this device is on " + approver + ")") +
                 "\nWARNING: the device asking is not near you. Someone may be trying to trick you into logging "
                 "them in to your account, e.g. with a QR code or link copied from a real login page. Continue "
                 "only if this is your own device, somewhere else.";
  }
  return out;
}

}  // namespace qrlogin::cli
