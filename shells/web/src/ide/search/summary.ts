// What cut a search short, in words (the server's `truncated_by`, a configuration key).
export function stoppedAt(key: string | undefined): string {
  switch (key) {
    case "search.max_scan_bytes":
      return "the search's size limit";
    case "search.max_cpu_ms":
      return "the search's time limit";
    default:
      return "the result limit";
  }
}
