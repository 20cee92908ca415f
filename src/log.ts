// One JSON object per line on stdout: easy to read, easy for a log shipper to parse.
export type LogFields = Record<string, unknown>;

/** From the most to the least verbose; a logger writes its own level and those after it. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Logger = Record<LogLevel, (message: string, fields?: LogFields) => void>;

/**
 * A logger writing `level` and above as JSON lines to `write` (stdout by default). Given a function, the level
 * is read at each line, so a config reload changes it at once.
 */
export function jsonLogger(level: LogLevel | (() => LogLevel) = "info", write: (line: string) => void = console.log): Logger {
  const threshold = typeof level === "function" ? () => LOG_LEVELS.indexOf(level()) : () => LOG_LEVELS.indexOf(level);
  const at = (lineLevel: LogLevel) => {
    const rank = LOG_LEVELS.indexOf(lineLevel);
    return (message: string, fields?: LogFields) => {
      if (rank >= threshold()) write(JSON.stringify({ time: new Date().toISOString(), level: lineLevel, message, ...fields }));
    };
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
