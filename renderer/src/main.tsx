import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pickTransport } from './api/index.js';
import { App } from './App.js';
import { listenForDesktopCommands } from './desktop-commands.js';
import './styles.css';

listenForDesktopCommands();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App transport={pickTransport()} />
  </StrictMode>,
);
