// `npm start`: the service as configured by the environment (see docs/configuration.md).
import { startServer } from '../server.js';

void startServer();
