declare module "*.sql" {
  const text: string;
  export default text;
}

declare module "swagger-ui-dist/*" {
  /** Imported `with { type: "file" }`: the path of the embedded file. */
  const path: string;
  export default path;
}
