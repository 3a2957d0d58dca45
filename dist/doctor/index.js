// belay doctor: the code is in dist/belay.
globalThis.belayCommand = 'doctor';
await import('../belay/index.js');
