#pragma once
// The engine's version: part of every cache key and configuration identity, so results and
// grids from another version are never mistaken for this one's.
namespace infersweep {
const char* engine_version();
}
