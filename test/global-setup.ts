// Filled in by the scorer work: builds proxy models from ../shared when present.
export default async function setup(): Promise<void> {}
