// Holds a file open the way many Windows programs do (acServer, an editor, a virus scanner): shared
// for reading and writing but not for deletion, so it cannot be renamed over or deleted meanwhile.
// Run by node.exe under Wine. Prints "holding <path>"; Ctrl-C (SIGINT) lets go and exits.
import koffi from 'koffi';

const file = process.argv[2];
const GENERIC_READ = 0x80000000;
const FILE_SHARE_READ = 0x1;
const FILE_SHARE_WRITE = 0x2;
const OPEN_EXISTING = 3;
const kernel32 = koffi.load('kernel32.dll');
const CreateFileW = kernel32.func('void * __stdcall CreateFileW(str16 name, uint32_t access, uint32_t share, void *security, uint32_t disposition, uint32_t flags, void *template)');
const CloseHandle = kernel32.func('bool __stdcall CloseHandle(void *h)');
const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
const handle = CreateFileW(file, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, 0, null);
if (!handle || handle === -1n || handle === 0xffffffffffffffffn) {
  console.log(`cannot open ${file}: error ${GetLastError()}`);
  process.exit(1);
}
console.log(`holding ${file}`);
setInterval(() => {}, 1 << 30);
process.on('SIGINT', () => {
  CloseHandle(handle);
  console.log('released');
  process.exit(0);
});
