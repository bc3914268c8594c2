// The server's language table (GET /api/v1/languages), fetched once per page load and shared.
// Until it arrives (or if it cannot be had) the list is empty and Run is disabled.
import { useEffect, useState } from "react";
import type { ApiClient } from "../../api/client";
import type { LanguageInfo } from "../../api/types";

let cached: Promise<LanguageInfo[]> | null = null;

export function useLanguages(client: ApiClient): LanguageInfo[] {
  const [languages, setLanguages] = useState<LanguageInfo[]>([]);
  useEffect(() => {
    let live = true;
    if (!cached) {
      cached = client.languages().catch((err) => {
        cached = null; // try again on the next mount
        throw err;
      });
    }
    cached.then((l) => live && setLanguages(l)).catch(() => {});
    return () => {
      live = false;
    };
  }, [client]);
  return languages;
}
