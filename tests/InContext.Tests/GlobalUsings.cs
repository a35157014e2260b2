global using InContext.Baselines;
global using InContext.Config;
global using InContext.Interop;
global using InContext.Tasks;
global using InContext.Yaml;
