import { Charts } from '../components/Charts.js';
import { MapEntryPanel } from '../components/MapEntryPanel.js';
import { PeersTable } from '../components/PeersTable.js';
import { RelaySwitch } from '../components/RelaySwitch.js';
import { SettingsForm } from '../components/SettingsForm.js';
import { TrustPanel } from '../components/TrustPanel.js';

export function RelayPage() {
  return (
    <div className="page relay-page">
      <div className="column">
        <RelaySwitch />
        <Charts />
        <PeersTable />
        <TrustPanel />
      </div>
      <div className="column side">
        <SettingsForm />
        <MapEntryPanel />
      </div>
    </div>
  );
}
