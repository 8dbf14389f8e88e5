#!/usr/bin/env node
console.log("evolve");
