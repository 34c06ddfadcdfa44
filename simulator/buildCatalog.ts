import type { Random } from './random.js';

/** A product of the simulated shop, as listed at the start of the story. */
export interface SimulatedProduct {
  /** `p001`, `p002`, ... (three digits, more when there are more than 999 products). */
  id: string;
  name: string;
  category: string;
  /** List price in EUR when listed. */
  price: number;
  /** Relative demand; orders pick products in proportion to it. */
  popularity: number;
}

interface CategoryStyle {
  nouns: readonly string[];
  modifiers: readonly string[];
  /** Electronics name the variant after the noun ("Bluetooth Speaker Mini"), the rest before. */
  modifierAfter?: boolean;
  /** Price range in EUR, drawn log-uniformly so cheap items are more common than dear ones. */
  price: readonly [number, number];
}

const CATEGORIES: Record<string, CategoryStyle> = {
  shoes: {
    nouns: ['Running Shoe', 'Hiking Boot', 'Sneaker', 'Sandal', 'Loafer', 'Chelsea Boot', 'Slip-On', 'Walking Shoe', 'Clog', 'Court Shoe'],
    modifiers: ['Trail', 'Road', 'Classic', 'Lightweight', 'Waterproof', 'Urban', 'Everyday', 'Canvas', 'Leather', 'Alpine', 'Retro'],
    price: [39, 219],
  },
  apparel: {
    nouns: ['T-Shirt', 'Hoodie', 'Rain Jacket', 'Chinos', 'Fleece', 'Polo Shirt', 'Denim Jacket', 'Base Layer', 'Down Vest', 'Joggers'],
    modifiers: ['Organic Cotton', 'Merino', 'Relaxed', 'Slim-Fit', 'Packable', 'Recycled', 'Heritage', 'Essential', 'Thermal', 'Linen'],
    price: [9, 149],
  },
  outdoor: {
    nouns: ['Tent', 'Sleeping Bag', 'Backpack', 'Headlamp', 'Trekking Poles', 'Camping Stove', 'Water Filter', 'Hammock', 'Dry Bag', 'Folding Chair'],
    modifiers: ['Ultralight', 'Compact', 'Summit', 'Trailhead', 'Basecamp', 'All-Season', 'Rugged', 'Backcountry', 'Explorer', 'Ridge'],
    price: [15, 499],
  },
  electronics: {
    nouns: [
      'Wireless Earbuds',
      'Bluetooth Speaker',
      'Smartwatch',
      'Action Camera',
      'Power Bank',
      'E-Reader',
      'Headphones',
      'Fitness Tracker',
      'USB-C Hub',
      'Keyboard',
    ],
    modifiers: ['Pro', 'Mini', 'Max', 'Lite', 'Studio', 'Air', 'Sport', 'Ultra', 'Neo', 'Plus'],
    modifierAfter: true,
    price: [19, 499],
  },
  home: {
    nouns: [
      'Coffee Grinder',
      'Table Lamp',
      'Throw Blanket',
      "Chef's Knife",
      'Cast Iron Skillet',
      'Mug Set',
      'Duvet Cover',
      'French Press',
      'Cutting Board',
      'Scented Candle',
    ],
    modifiers: ['Nordic', 'Artisan', 'Walnut', 'Stoneware', 'Minimalist', 'Rustic', 'Classic', 'Velvet', 'Copper', 'Oak'],
    price: [5, 199],
  },
};

/** The categories products are drawn from. */
export const PRODUCT_CATEGORIES = Object.keys(CATEGORIES);

/** Rounds to a shop price ending in .99, within 5–500 EUR. */
export const shopPrice = (amount: number) => Math.min(499, Math.max(5, Math.floor(amount))) + 0.99;

/** The shop's assortment: `count` products with distinct names, categories, list prices and demand. */
export function buildCatalog(random: Random, count: number): SimulatedProduct[] {
  const digits = Math.max(3, String(count).length);
  const names = new Set<string>();
  const products: SimulatedProduct[] = [];
  for (let i = 1; i <= count; i++) {
    const category = random.pick(PRODUCT_CATEGORIES);
    const style = CATEGORIES[category];
    let name = '';
    for (let attempt = 0; attempt < 20 && (name === '' || names.has(name)); attempt++) {
      const noun = random.pick(style.nouns);
      const modifier = random.pick(style.modifiers);
      name = style.modifierAfter ? `${noun} ${modifier}` : `${modifier} ${noun}`;
    }
    // Beyond the distinct combinations of a category, a product line gets a generation number.
    for (let generation = 2; names.has(name); generation++) name = `${name.replace(/ \d+$/, '')} ${generation}`;
    names.add(name);
    const [low, high] = style.price;
    products.push({
      id: `p${String(i).padStart(digits, '0')}`,
      name,
      category,
      price: shopPrice(Math.exp(random.float(Math.log(low), Math.log(high)))),
      popularity: Math.exp(random.normal(0, 0.8)),
    });
  }
  return products;
}
