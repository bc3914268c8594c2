// Mounted once by the IDE page: the workspace's language servers (languageClients.ts) run
// while its pod does. Renders nothing.
import { useEffect } from "react";
import type { ApiClient } from "../../api/client";
import { LanguageClients } from "./languageClients";

export default function LanguageServices({ workspaceId, client, running }: { workspaceId: string; client: ApiClient; running: boolean }) {
  useEffect(() => {
    if (!running) return;
    const clients = new LanguageClients(workspaceId, () => client.accessToken(false));
    return () => clients.dispose();
  }, [workspaceId, client, running]);
  return null;
}
