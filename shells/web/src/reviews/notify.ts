// A notification as a sentence for the bell's list.
import type { Notification } from "./api";
import { statusLabel } from "./actions";

export function notificationText(n: Notification): string {
  const who = n.actor?.username ?? "Someone";
  const what = n.title ? `“${n.title}”` : "a review";
  switch (n.type) {
    case "review.queued":
      return `New in your queue: ${what}`;
    case "review.assigned":
      return `${who} assigned you ${what}`;
    case "review.claimed":
      return `${who} claimed ${what}`;
    case "review.unclaimed":
      return `${who} handed back ${what}`;
    case "review.commented":
      return `${who} commented on ${what}`;
    case "review.decided":
      return `${who} decided ${what}: ${statusLabel(n.status ?? "")}`;
    case "review.resubmitted":
      return `${who} resubmitted ${what}`;
    case "review.withdrawn":
      return `${who} withdrew ${what}`;
    default:
      return `${n.type.replace(/^review\./, "")}: ${what}`;
  }
}
