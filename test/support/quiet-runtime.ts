/** Workers in tests log at WARN: their INFO state changes would drown the test output. */
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('WARN') });
