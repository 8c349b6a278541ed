// The boot.* facts: how the machine boots.
export { firmware, type Firmware } from "./firmware.js";
