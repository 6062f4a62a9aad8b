// Loaded with NODE_OPTIONS=--require for every Prisma CLI call in the interoperability tests.
// The JavaScript engine leaves a 10 s timer running after its work is done, which keeps each
// `prisma migrate deploy` alive about 11 s; unreferenced long timers let the process end when
// its work is done (about 1 s). Short timers are left alone: Prisma's own work may need them.
"use strict";
const LONG_MS = 5000;
for (const name of ["setTimeout", "setInterval"]) {
  const original = globalThis[name];
  globalThis[name] = function (fn, ms, ...rest) {
    const timer = original.call(this, fn, ms, ...rest);
    if (typeof ms === "number" && ms >= LONG_MS && timer && typeof timer.unref === "function") timer.unref();
    return timer;
  };
}
