import './relay.css';
import { DesktopSettingsCard } from '../desktop/DesktopSettingsCard.js';
import { CheckThisRelay } from '../diagnostics/CheckThisRelay.js';
import { CertificatePanel } from './CertificatePanel.js';
import { Charts } from './Charts.js';
import { MapEntryPanel } from './MapEntryPanel.js';
import { PeersTable } from './PeersTable.js';
import { RelaySwitch } from './RelaySwitch.js';
import { SettingsForm } from './SettingsForm.js';
import { TrustPanel } from './TrustPanel.js';

export function RelayPage() {
  return (
    <div className="page relay-page">
      <div className="column">
        <RelaySwitch />
        <CheckThisRelay />
        <Charts />
        <PeersTable />
        <TrustPanel />
      </div>
      <div className="column side">
        <CertificatePanel />
        <SettingsForm />
        <DesktopSettingsCard />
        <MapEntryPanel />
      </div>
    </div>
  );
}
