import { Document } from "@langchain/core/documents";

/**
 * A small corpus written for this project's demo: each topic has the passage that answers a question and several
 * that share its words without answering it — the "plausible but wrong" candidates a first stage returns.
 */
const PASSAGES: [topic: string, text: string][] = [
  [
    "coffee",
    "Caffeine raises blood pressure for a few hours after a cup of coffee, but regular drinkers develop a tolerance and show little lasting effect.",
  ],
  ["coffee", "Coffee shops in Vienna served blood orange pastries with every cup, a custom that raised prices across the city."],
  ["coffee", "The pressure inside an espresso machine is about nine bars, which forces hot water through finely ground coffee."],
  ["coffee", "Decaffeinated coffee still contains a small amount of caffeine, usually a few milligrams per cup."],
  ["coffee", "Blood pressure is measured in millimetres of mercury and recorded as two numbers, systolic over diastolic."],
  ["coffee", "Green tea contains less caffeine than coffee and more L-theanine, an amino acid linked to calm alertness."],
  ["eiffel", "The Eiffel Tower is 330 metres tall including its antennas; it was the tallest structure in the world until 1930."],
  ["eiffel", "Gustave Eiffel's company also built the internal frame of the Statue of Liberty in New York."],
  ["eiffel", "Tall visitors to the Eiffel Tower's top floor often remark on how small the elevator cabins feel."],
  ["eiffel", "The tower is repainted every seven years, using about sixty tonnes of paint."],
  ["eiffel", "Paris limits building height in the city centre, so few towers stand taller than the cathedrals."],
  ["photosynthesis", "Photosynthesis converts light energy into chemical energy: chlorophyll absorbs light, water is split and oxygen is released."],
  ["photosynthesis", "Plants need light to grow, which is why seedlings on a windowsill lean towards the glass."],
  ["photosynthesis", "Energy drinks convert sugar and caffeine into a short burst of alertness followed by a crash."],
  ["photosynthesis", "Chlorophyll gives leaves their green colour; in autumn it breaks down and reveals yellow pigments."],
  ["photosynthesis", "Solar panels convert light into electricity with an efficiency of about twenty percent."],
  ["rust", "Rust prevents data races at compile time: the borrow checker allows either one mutable reference or many shared ones."],
  ["rust", "Iron rusts when exposed to water and oxygen, forming hydrated iron oxide that flakes away."],
  ["rust", "Races in the compile-time league are held every spring at the old iron works track."],
  ["rust", "Garbage-collected languages such as Go free memory at run time instead of checking ownership when compiling."],
  ["rust", "Cargo is Rust's package manager; it downloads crates and builds them with the right compiler flags."],
  ["sleep", "Adults need seven to nine hours of sleep; regular shortfalls raise the risk of heart disease and diabetes."],
  ["sleep", "The Sleep Inn hotel chain needs seven new managers for its branches, the company said on Monday."],
  ["sleep", "Cats sleep between twelve and sixteen hours a day, mostly in short naps."],
  ["sleep", "Hibernating bears lower their heart rate to a few beats per minute and live on stored fat."],
  ["sleep", "Blue light from screens in the evening delays the release of melatonin, the hormone that signals sleep."],
  ["attention", "A transformer's self-attention lets every token weigh every other token, so its cost grows with the square of the sequence length."],
  ["attention", "Children's attention spans grow with age; a five-year-old may focus on a task for about fifteen minutes."],
  ["attention", "Electrical transformers step voltage up for long-distance lines and down again for homes."],
  ["attention", "A cross-encoder reads the query and a passage together, so it can judge relevance better than comparing separate embeddings."],
  ["attention", "Sequence length matters for cost: doubling the tokens of a passage roughly quadruples attention work."],
  ["attention", "The length of a queue at the post office grows when fewer counters are open."],
];

export const DEMO_DOCUMENTS: Document[] = PASSAGES.map(
  ([topic, text], i) => new Document({ pageContent: text, metadata: { id: `p${String(i + 1).padStart(2, "0")}`, topic } }),
);

export const DEMO_QUERIES = [
  "Does drinking coffee raise blood pressure?",
  "How tall is the Eiffel Tower?",
  "How do plants turn light into energy?",
  "How does Rust prevent data races at compile time?",
  "Why does attention cost grow with sequence length?",
];
