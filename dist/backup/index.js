// belay backup: the code is in dist/belay.
globalThis.belayCommand = 'backup';
await import('../belay/index.js');
