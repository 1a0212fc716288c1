/**
 * The main window and the security rules around it: isolated, sandboxed renderer without Node, no navigation
 * away from the app, no new windows, no permissions. Kept free of `import 'electron'` values so it is testable.
 */
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'derpdesk',
    backgroundColor: '#111418',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** True for the app's own page: the packaged index.html (file:) and nothing else. */
export function isAppUrl(url: string, appUrl: string): boolean {
  try {
    const u = new URL(url);
    const a = new URL(appUrl);
    return u.protocol === a.protocol && u.host === a.host && u.pathname === a.pathname;
  } catch {
    return false;
  }
}

/** Opens only https links, and only in the user's browser. */
export type OpenExternal = (url: string) => void;

export function installWindowGuards(contents: WebContents, appUrl: string, openExternal: OpenExternal): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) openExternal(url);
    return { action: 'deny' };
  });
}

export function installSessionGuards(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
