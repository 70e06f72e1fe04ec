/** The default user settings refusing bad input: 4xx in LiteLLM's envelope, nothing written. */
import { badInputSuite } from '../bad-input-suite';

badInputSuite((c) => c.path.startsWith('/update/') || c.path.startsWith('/get/'));
