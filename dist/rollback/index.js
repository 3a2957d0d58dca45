// belay rollback: the code is in dist/belay.
globalThis.belayCommand = 'rollback';
await import('../belay/index.js');
